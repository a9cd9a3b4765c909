"""Registration campaigns (定期注册工作): settings, windows, pages and API."""

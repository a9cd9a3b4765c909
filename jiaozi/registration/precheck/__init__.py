"""The registration pre-check (注册预审): facts, the staff screen, its export and API."""

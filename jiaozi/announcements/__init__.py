"""Announcements (公告) drafted and published by province, city and county admins, listed on the portal (PRODUCT §8)."""

"""Confirmation points (确认点): opening days, slots, bookings with a QR check-in code, the day's list (PRODUCT §6)."""

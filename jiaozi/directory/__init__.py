"""Institution set-up: public info, the registration plan, and the public directory of registration institutions (PRODUCT §2, §8)."""

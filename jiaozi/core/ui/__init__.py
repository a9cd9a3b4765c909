"""Pieces of the user interface shared by every app: list tables and pagination
(``tables``), the staff navigation (``nav``) and dashboard cards (``cards``). They know no
app; the apps fill them through ``jiaozi.core.registry``."""

from django.apps import AppConfig
from django.conf import settings


class CertificatesConfig(AppConfig):
    name = "jiaozi.certificates"
    label = "certificates"

    def ready(self) -> None:
        # CERTIFICATE_PDF_FONT_FILE: a TrueType font (glyf outlines, e.g. a licensed 宋体)
        # to embed as a subset instead of the standard STSong-Light CID font; see
        # docs/decisions/0070-stamped-form-chinese-font.md.
        font_file = getattr(settings, "CERTIFICATE_PDF_FONT_FILE", "")
        if font_file:
            from .pdf import register_embedded_font

            register_embedded_font(str(font_file))

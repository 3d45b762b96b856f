"""The electronic seal's cryptography (电子印章): SM2 with SM3 signatures, keys, DER — sm2.py. Used by
the licensing activity to seal and by the audit and the portal to verify."""

"""django-allauth discovers providers in ``<installed app>.provider``: this registers the
hand-written 企业微信 provider (``wecom.py``)."""

from .wecom import WeComProvider

provider_classes = [WeComProvider]

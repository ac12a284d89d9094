from django import template
from django.utils.html import format_html

from marketing.submit_once import TOKEN_FIELD, new_token, posted_token

register = template.Library()


@register.simple_tag(takes_context=True)
def submit_token(context):
    """The hidden one-time token of a create form (see ``marketing.submit_once``). A form
    re-rendered after errors keeps the token it was posted with."""
    request = context.get("request")
    token = (posted_token(request) if request is not None else "") or new_token()
    return format_html('<input type="hidden" name="{}" value="{}">', TOKEN_FIELD, token)

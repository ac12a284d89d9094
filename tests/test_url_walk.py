"""Walk every URL that takes an object id: another tenant's id must answer 404, exactly
like a missing one; the tenant's own id must not. A URL with an int kwarg that was not
declared with ``marketing.tenancy.object_path`` fails the walk."""

import pytest
from django.apps import apps
from django.urls import URLResolver, get_resolver, reverse
from django.urls.converters import IntConverter
from django_scopes import scopes_disabled

from marketing import services
from marketing.demo import DEMO_MAIN, DEMO_SECOND, build_tenant, seed_apps
from marketing.roles import Role
from marketing.tenancy import tenant_scope


def _walk(patterns, namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("admin/"):
                continue
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from _walk(p.url_patterns, ns or None)
        else:
            yield namespace, p


def object_urls():
    found = []
    for namespace, pattern in _walk(get_resolver().url_patterns):
        converters = getattr(pattern.pattern, "converters", {})
        if not any(isinstance(c, IntConverter) for c in converters.values()):
            continue
        name = f"{namespace}:{pattern.name}" if namespace else pattern.name
        found.append((name, pattern))
    return found


def test_every_object_url_is_declared():
    undeclared = [name for name, p in object_urls() if not hasattr(p, "object_model")]
    assert undeclared == [], f"declare these with marketing.tenancy.object_path(..., model=...): {undeclared}"
    assert len(object_urls()) >= 6  # the platform's own user/region/branch pages at least


@pytest.fixture
def two_demo_tenants(db, django_capture_on_commit_callbacks):
    main, main_people = build_tenant(DEMO_MAIN, password="pw-x-2026!")
    second, second_people = build_tenant(DEMO_SECOND, password="pw-x-2026!")
    with django_capture_on_commit_callbacks(execute=True):  # attachments are written at commit
        seed_apps(tenant=main, personas=main_people, rich=False)
        seed_apps(tenant=second, personas=second_people, rich=False)
    with tenant_scope(main):
        from marketing.models import Branch

        everything = services.user_create(
            tenant=main, actor=None, username="walker", password="pw-x-2026!", full_name="Walker",
            roles=[r.value for r in Role], branches=list(Branch.objects.all()),
        )
    return main, second, everything


def _first_id(model, tenant):
    with scopes_disabled():
        qs = model._default_manager.all()
        if "tenant" in {f.name for f in model._meta.get_fields()}:
            qs = qs.filter(tenant=tenant)
        return list(qs.order_by("pk").values_list("pk", flat=True)[:3])


def test_other_tenants_ids_answer_404(two_demo_tenants, client_as):
    main, second, walker = two_demo_tenants
    client = client_as(walker)
    problems = []
    for name, pattern in object_urls():
        model = apps.get_model(pattern.object_model)
        foreign_ids = _first_id(model, second)
        own_ids = _first_id(model, main)
        if not foreign_ids or not own_ids:
            problems.append(f"{name}: demo data has no {pattern.object_model} in both tenants")
            continue
        foreign_url = reverse(name, kwargs={"pk": foreign_ids[0], **pattern.object_extra})
        statuses = {client.get(foreign_url).status_code, client.post(foreign_url).status_code}
        if not statuses <= {404, 405} or 404 not in statuses:
            problems.append(f"{name}: other tenant's id gave {sorted(statuses)} at {foreign_url}")
        own = [client.get(reverse(name, kwargs={"pk": pk, **pattern.object_extra})).status_code for pk in own_ids]
        if all(code == 404 for code in own):
            problems.append(f"{name}: own tenant's ids also 404 ({own}); the walk proves nothing")
    assert problems == [], "\n".join(problems)



def test_uploaded_files_have_no_unchecked_url(settings):
    """Files live under tenants/<id>/...; only reach-checked views may serve them, so no
    /media/ route exists, even when the URLconf is built with DEBUG on."""
    import importlib

    import pytest
    from django.urls import Resolver404, clear_url_caches, resolve

    import marketing.urls

    settings.DEBUG = True
    try:
        importlib.reload(marketing.urls)
        clear_url_caches()
        with pytest.raises(Resolver404):
            resolve("/media/tenants/1/expenses/1/x.pdf")
    finally:
        settings.DEBUG = False
        importlib.reload(marketing.urls)
        clear_url_caches()

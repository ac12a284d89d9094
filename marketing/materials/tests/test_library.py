"""Uniform templates library (S000-55: 全国统一版本, published by HQ): versions, every branch
reads, downloads only through the reach-checked view."""

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from marketing.materials import services
from marketing.materials.models import LibraryItem, LibraryVersion

from .helpers import PDF, pdf

pytestmark = pytest.mark.django_db


def _item(org, django_capture_on_commit_callbacks, title="折页"):
    with org.scope(), django_capture_on_commit_callbacks(execute=True):
        return services.library_item_create(tenant=org.tenant, actor=org.users["mspec"],
                                            data={"title": title, "category": "leaflet", "description": "统一"},
                                            upload=pdf("v1.pdf", PDF + b"v1"), notes="首版")


def test_publish_versions_old_ones_stay(org_a, client_as, django_capture_on_commit_callbacks):
    """S000-55: HQ publishes; a new version does not remove the old one; branches download."""
    item = _item(org_a, django_capture_on_commit_callbacks)
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        v2 = services.library_publish(item=item, actor=org_a.users["mspec"], upload=pdf("v2.pdf", PDF + b"v2"),
                                      notes="更新电话")
    with org_a.scope():
        item.refresh_from_db()
        v1 = LibraryVersion.objects.get(item=item, number=1)
    assert (item.latest_number, v2.number) == (2, 2)
    branch = client_as(org_a.users["sales"])
    page = branch.get(reverse("materials:library_detail", kwargs={"pk": item.pk})).content.decode()
    assert "v1.pdf" in page and "v2.pdf" in page and "当前版本" in page and "旧版" in page
    old = branch.get(reverse("materials:library_download", kwargs={"pk": v1.pk}))
    assert old.status_code == 200 and b"".join(old.streaming_content).endswith(b"v1")
    listing = branch.get(reverse("materials:library")).content.decode()
    assert reverse("materials:library_download", kwargs={"pk": v2.pk}) in listing


def test_publish_page(org_a, client_as, django_capture_on_commit_callbacks):
    item = _item(org_a, django_capture_on_commit_callbacks)
    client = client_as(org_a.users["mspec"])
    url = reverse("materials:library_publish", kwargs={"pk": item.pk})
    bad = client.post(url, {"file": SimpleUploadedFile("x.exe", b"MZ..."), "notes": ""})
    assert bad.status_code == 400 and "不支持的文件类型" in bad.content.decode()
    fake = client.post(url, {"file": SimpleUploadedFile("x.pdf", b"not a pdf"), "notes": ""})
    assert fake.status_code == 400 and "内容与扩展名不符" in fake.content.decode()
    ok = client.post(url, {"file": pdf("v2.pdf"), "notes": "二版"})
    assert ok.status_code == 302
    with org_a.scope():
        assert LibraryVersion.objects.filter(item=item).count() == 2
    assert client_as(org_a.users["sales"]).post(url, {"file": pdf()}).status_code == 403


def test_create_page(org_a, client_as):
    client = client_as(org_a.users["mspec"])
    response = client.post(reverse("materials:library_create"),
                           {"title": "合作协议", "category": "contract", "description": "", "file": pdf(), "notes": ""})
    assert response.status_code == 302
    with org_a.scope():
        item = LibraryItem.objects.get()
    assert item.latest_number == 1


def test_other_tenant_and_retired_items(org_a, org_b, client_as, django_capture_on_commit_callbacks):
    item = _item(org_a, django_capture_on_commit_callbacks)
    with org_a.scope():
        version = item.versions.get()
    foreign = client_as(org_b.users["allroles"])
    assert foreign.get(reverse("materials:library_detail", kwargs={"pk": item.pk})).status_code == 404
    assert foreign.get(reverse("materials:library_download", kwargs={"pk": version.pk})).status_code == 404
    with org_a.scope():
        services.library_item_update(item=item, actor=org_a.users["mspec"], data={"active": False})
        with pytest.raises(ValidationError) as exc:
            services.library_publish(item=item, actor=org_a.users["mspec"], upload=pdf())
        assert exc.value.code == "item_inactive"
    branch = client_as(org_a.users["sales"])
    assert branch.get(reverse("materials:library_download", kwargs={"pk": version.pk})).status_code == 404
    assert client_as(org_a.users["mspec"]).get(
        reverse("materials:library_download", kwargs={"pk": version.pk})).status_code == 200


def test_rolled_back_publish_leaves_no_file(org_a, django_capture_on_commit_callbacks):
    from django.core.files.storage import default_storage
    from django.db import transaction

    item = _item(org_a, django_capture_on_commit_callbacks)
    with org_a.scope(), django_capture_on_commit_callbacks(execute=True):
        try:
            with transaction.atomic():
                v = services.library_publish(item=item, actor=org_a.users["mspec"], upload=pdf("v2.pdf"))
                name = v.file.name
                raise RuntimeError
        except RuntimeError:
            pass
    assert not default_storage.exists(name)

"""Partners, agreements and the paper original's state machine (S000-02, S000-33, S003-06)."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from customers.partners import services
from customers.partners.models import (
    Agreement,
    AgreementKind,
    AgreementStage,
    CheckResult,
    EventKind,
    OriginalState,
    Partner,
    PartnerEvent,
)
from marketing.models import AuditEvent

from .conftest import BAD_CHECK, VALID, VALID2, pdf


def codes(exc):
    return {e.code for e in exc.value.error_list}


class TestPartner:
    def test_create_with_valid_code_and_region_from_branch(self, make_a, org_a):
        p = make_a.partner(code=" 91350100m000100y43 ")
        with org_a.scope():
            p.refresh_from_db()
            assert p.credit_code == VALID
            assert p.region == org_a.regions["RA1"]
            assert p.credit_code_override == ""
            assert PartnerEvent.objects.get(partner=p).kind == EventKind.REGISTERED
            assert AuditEvent.objects.filter(verb="partners.partner_create", object_id=str(p.pk)).exists()

    def test_duplicate_credit_code_refused(self, make_a, org_a):
        make_a.partner(code=VALID)
        with pytest.raises(ValidationError) as exc:
            make_a.partner(name="另一个名字", code=VALID.lower())
        assert codes(exc) == {"duplicate_credit_code"}
        with org_a.scope():
            assert Partner.objects.count() == 1

    def test_same_code_in_other_tenant_is_fine(self, make_a, make_b, org_b):
        make_a.partner(code=VALID)
        make_b.partner(code=VALID, branch="B1")
        with org_b.scope():
            assert Partner.objects.count() == 1

    def test_failing_check_digit_refused_without_reason(self, make_a, org_a):
        with pytest.raises(ValidationError) as exc:
            make_a.partner(code=BAD_CHECK)
        assert codes(exc) == {"credit_code_check_digit"}
        assert "应为 3" in exc.value.messages[0]
        with org_a.scope():
            assert not Partner.objects.exists()

    def test_failing_check_digit_accepted_with_recorded_reason(self, make_a, org_a):
        p = make_a.partner(code=BAD_CHECK, credit_code_override="2015 年营业执照原件核对无误")
        with org_a.scope():
            p.refresh_from_db()
            assert p.credit_code_override == "2015 年营业执照原件核对无误"
            ev = AuditEvent.objects.get(verb="partners.partner_create", object_id=str(p.pk))
            assert ev.after["credit_code_override"] == "2015 年营业执照原件核对无误"

    def test_override_reason_dropped_for_a_valid_code(self, make_a, org_a):
        p = make_a.partner(code=VALID, credit_code_override="无关")
        assert p.credit_code_override == ""

    @pytest.mark.parametrize("code", ["1234", "91350100M0001I0Y43", "913501A0M000100Y43"])
    def test_malformed_code_refused_even_with_reason(self, make_a, code):
        with pytest.raises(ValidationError) as exc:
            make_a.partner(code=code, credit_code_override="理由")
        assert codes(exc) == {"credit_code_format"}

    def test_update_refuses_duplicate_and_logs_edit(self, make_a, org_a):
        make_a.partner(code=VALID)
        p2 = make_a.partner(name="第二家", code=VALID2)
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.partner_update(partner=p2, actor=org_a.users["mspec"], data={"credit_code": VALID})
            assert codes(exc) == {"duplicate_credit_code"}
            services.partner_update(partner=p2, actor=org_a.users["mspec"],
                                    data={"name": "第二家（更名）", "branch": org_a.branches["A3"]})
            p2.refresh_from_db()
            assert (p2.name, p2.region_id) == ("第二家（更名）", org_a.regions["RA2"].pk)
            assert p2.events.filter(kind=EventKind.EDITED).count() == 1


class TestAgreement:
    def test_first_is_new_later_is_renewal_on_same_partner(self, make_a, org_a):
        p = make_a.partner()
        a1 = make_a.agreement(p, signed_on=dt.date(2025, 11, 3))
        a2 = make_a.agreement(p, signed_on=dt.date(2026, 11, 2))
        assert (a1.kind, a2.kind) == (AgreementKind.NEW, AgreementKind.RENEWAL)
        with org_a.scope():
            assert Partner.objects.count() == 1
            assert [e.kind for e in p.events.all()] == [EventKind.REGISTERED, EventKind.SIGNED, EventKind.RENEWED]
            assert a1.number.startswith("HZ-2025-") and a2.number.startswith("HZ-2026-")

    def test_end_before_start_refused(self, make_a, org_a):
        p = make_a.partner()
        with pytest.raises(ValidationError) as exc:
            make_a.agreement(p, starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 1))
        assert codes(exc) == {"end_before_start"}
        with org_a.scope():
            assert not Agreement.objects.exists()

    def test_end_equal_start_allowed(self, make_a):
        p = make_a.partner()
        a = make_a.agreement(p, starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 2))
        assert a.pk

    def test_duplicate_number_refused(self, make_a):
        p = make_a.partner()
        make_a.agreement(p, number="XY-001")
        with pytest.raises(ValidationError) as exc:
            make_a.agreement(p, number="XY-001")
        assert codes(exc) == {"duplicate_number"}

    def test_scan_must_be_pdf_or_image(self, make_a):
        p = make_a.partner()
        with pytest.raises(ValidationError) as exc:
            make_a.agreement(p, scan=SimpleUploadedFile("x.exe", b"MZ"))
        assert codes(exc) == {"scan_type"}

    def test_scan_written_on_commit(self, make_a, org_a, django_capture_on_commit_callbacks, settings, tmp_path):
        settings.STORAGES = {**settings.STORAGES, "default": {
            "BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": str(tmp_path)}}}
        p = make_a.partner()
        with django_capture_on_commit_callbacks(execute=True):
            a = make_a.agreement(p, scan=pdf())
        with org_a.scope():
            a.refresh_from_db()
            assert a.scan_name == "scan.pdf"
            assert a.scan.name.startswith(f"tenants/{org_a.tenant.pk}/partners/")
            assert a.scan.open("rb").read().startswith(b"%PDF")

    def test_terminate_keeps_history(self, make_a, org_a):
        p = make_a.partner()
        a = make_a.agreement(p)
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.agreement_terminate(agreement=a, actor=org_a.users["mspec"],
                                             terminated_on=dt.date(2026, 11, 20), reason="")
            assert codes(exc) == {"reason_required"}
            services.agreement_terminate(agreement=a, actor=org_a.users["mspec"],
                                         terminated_on=dt.date(2026, 11, 20), reason="经营不善")
            a.refresh_from_db()
            assert a.stage == AgreementStage.TERMINATED
            with pytest.raises(ValidationError) as exc:
                services.agreement_terminate(agreement=a, actor=org_a.users["mspec"],
                                             terminated_on=dt.date(2026, 11, 21), reason="again")
            assert codes(exc) == {"not_signed"}
            assert p.events.filter(kind=EventKind.TERMINATED).count() == 1
            assert Agreement.objects.filter(partner=p).count() == 1


class TestOriginal:
    """待寄出 → 已寄出 → 总部已收 → 已归档, with every refusal (S000-33, S003-06)."""

    def _send(self, org, a, **kw):
        args = {"courier": "顺丰", "waybill": "SF1234567890", "sent_on": dt.date(2026, 11, 3), **kw}
        return services.original_send(agreement=a, actor=org.users["bgm"], **args)

    def test_full_trail(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            assert a.original_state == OriginalState.TO_SEND
            a = self._send(org_a, a)
            assert (a.original_state, a.courier, a.waybill) == (OriginalState.SENT, "顺丰", "SF1234567890")
            a = services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            assert a.original_state == OriginalState.RECEIVED and a.received_by == org_a.users["mspec"]
            a = services.original_archive(agreement=a, actor=org_a.users["mspec"], location="A柜-03盒")
            assert (a.original_state, a.archive_location) == (OriginalState.ARCHIVED, "A柜-03盒")
            kinds = list(a.events.values_list("kind", flat=True))
            assert kinds == [EventKind.SIGNED, EventKind.SENT, EventKind.RECEIVED, EventKind.ARCHIVED]
            verbs = set(AuditEvent.objects.filter(object_id=str(a.pk), verb__startswith="partners.original")
                        .values_list("verb", flat=True))
            assert verbs == {"partners.original_send", "partners.original_receive", "partners.original_archive"}

    def test_second_sent_refused(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            self._send(org_a, a)
            with pytest.raises(ValidationError) as exc:
                self._send(org_a, a, waybill="SF999")
            assert codes(exc) == {"already_sent"}
            a.refresh_from_db()
            assert a.waybill == "SF1234567890"

    def test_sent_after_received_refused(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            self._send(org_a, a)
            services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            with pytest.raises(ValidationError) as exc:
                self._send(org_a, a)
            assert codes(exc) == {"already_received"}
            services.original_archive(agreement=a, actor=org_a.users["mspec"], location="B-1")
            with pytest.raises(ValidationError) as exc:
                self._send(org_a, a)
            assert codes(exc) == {"already_received"}

    @pytest.mark.parametrize("kw,code", [
        ({"courier": ""}, "courier_required"),
        ({"waybill": " "}, "courier_required"),
        ({"sent_on": None}, "sent_on_required"),
        ({"sent_on": dt.date(2026, 11, 1)}, "sent_before_signed"),
        ({"sent_on": dt.date(2100, 1, 1)}, "future_sent_on"),
    ])
    def test_send_needs_trail(self, make_a, org_a, kw, code):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                self._send(org_a, a, **kw)
            assert codes(exc) == {code}
            a.refresh_from_db()
            assert a.original_state == OriginalState.TO_SEND

    def test_receive_before_sent_refused(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            assert codes(exc) == {"not_sent"}

    def test_receive_twice_refused(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            self._send(org_a, a)
            services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            with pytest.raises(ValidationError) as exc:
                services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            assert codes(exc) == {"already_received"}

    def test_returned_to_branch_goes_back_to_to_send_and_tells_gm(self, make_a, org_a):
        from marketing.notifications.models import Message

        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            self._send(org_a, a)
            with pytest.raises(ValidationError) as exc:
                services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.MISSING_PAGES)
            assert codes(exc) == {"remarks_required"}
            a = services.original_receive(agreement=a, actor=org_a.users["mspec"],
                                          result=CheckResult.MISSING_PAGES, remarks="缺第 3 页盖章页")
            assert a.original_state == OriginalState.TO_SEND
            assert a.events.filter(kind=EventKind.RETURNED).count() == 1
            msgs = Message.objects.filter(kind="partners.original_returned")
            assert {m.user for m in msgs} == {org_a.users["bgm"], org_a.users["allroles"]}  # A1's GMs
            assert all("缺第 3 页盖章页" in m.body for m in msgs)
            # the branch posts it again: a new trail
            a = self._send(org_a, a, waybill="SF2", sent_on=dt.date(2026, 11, 5))
            assert a.original_state == OriginalState.SENT and a.waybill == "SF2"

    def test_receive_needs_a_result(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            self._send(org_a, a)
            with pytest.raises(ValidationError) as exc:
                services.original_receive(agreement=a, actor=org_a.users["mspec"], result="")
            assert codes(exc) == {"result_required"}

    def test_archive_before_received_refused(self, make_a, org_a):
        a = make_a.agreement(make_a.partner())
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.original_archive(agreement=a, actor=org_a.users["mspec"], location="A-1")
            assert codes(exc) == {"not_received"}
            self._send(org_a, a)
            with pytest.raises(ValidationError) as exc:
                services.original_archive(agreement=a, actor=org_a.users["mspec"], location="A-1")
            assert codes(exc) == {"not_received"}
            services.original_receive(agreement=a, actor=org_a.users["mspec"], result=CheckResult.COMPLETE)
            with pytest.raises(ValidationError) as exc:
                services.original_archive(agreement=a, actor=org_a.users["mspec"], location="")
            assert codes(exc) == {"location_required"}
            services.original_archive(agreement=a, actor=org_a.users["mspec"], location="A-1")
            with pytest.raises(ValidationError) as exc:
                services.original_archive(agreement=a, actor=org_a.users["mspec"], location="A-2")
            assert codes(exc) == {"already_archived"}

    def test_draft_has_no_original(self, make_a, org_a):
        p = make_a.partner()
        a = make_a.agreement(p, draft=True)
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                self._send(org_a, a)
            assert codes(exc) == {"not_signed"}


class TestSigningFile:
    def test_new_partner_and_agreement_together_or_neither(self, make_a, org_a):
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.signing_file(
                    tenant=org_a.tenant, actor=org_a.users["bgm"], branch=org_a.branches["A1"],
                    signed_on=dt.date(2026, 11, 2), starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2026, 11, 1),
                    new_partner={"type": make_a.dealer, "name": "新车行", "credit_code": VALID})
            assert codes(exc) == {"end_before_start"}
            assert not Partner.objects.exists()

    def test_existing_partner_gets_renewal(self, make_a, org_a):
        p = make_a.partner(code=VALID)
        make_a.agreement(p, signed_on=dt.date(2025, 11, 3))
        with org_a.scope():
            a = services.signing_file(tenant=org_a.tenant, actor=org_a.users["bgm"], branch=org_a.branches["A1"],
                                      partner=p, signed_on=dt.date(2026, 11, 2), starts_on=dt.date(2026, 11, 3),
                                      ends_on=dt.date(2027, 11, 2))
            assert a.kind == AgreementKind.RENEWAL and Partner.objects.count() == 1

    def test_new_partner_with_registered_code_refused(self, make_a, org_a):
        make_a.partner(code=VALID)
        with org_a.scope():
            with pytest.raises(ValidationError) as exc:
                services.signing_file(
                    tenant=org_a.tenant, actor=org_a.users["bgm"], branch=org_a.branches["A1"],
                    signed_on=dt.date(2026, 11, 2), starts_on=dt.date(2026, 11, 2), ends_on=dt.date(2027, 11, 1),
                    new_partner={"type": make_a.dealer, "name": "另名", "credit_code": VALID})
            assert codes(exc) == {"duplicate_credit_code"}
            assert Agreement.objects.count() == 0

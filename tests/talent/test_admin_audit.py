"""The admin site's pages that show full ID or phone numbers are recorded in the personal-data
read audit like API answers (one row: who, when, from where, whom); masked pages show no full
number and record nothing (talent/admin.py, api/audit.py, talent.models.PersonalDataRead)."""

from __future__ import annotations

import datetime as dt
from urllib.parse import parse_qs

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.test import Client

from talent.access import mask_id_number, mask_phone
from talent.models import Division, Person, PersonalDataRead, RosterImport, StaffAccount
from tests.talent.test_admin import admin_url, make_person

pytestmark = pytest.mark.django_db

ADDRESS = "10.9.8.7"
COUNTY = "430104000000"


def reads() -> list[PersonalDataRead]:
    return list(PersonalDataRead.objects.order_by("id"))


@pytest.fixture
def people(hunan):
    li = make_person("李明", dt.date(1987, 3, 9), 11, home_division=hunan["village"], phone="13812345678")
    wang = make_person("王芳", dt.date(1990, 12, 31), 7, gender="female", home_division=hunan["community"])
    return {"li": li, "wang": wang}


@pytest.fixture
def staff(hunan):
    """``staff(role, personal_data=…)`` -> a logged-in admin-site client of the county, with
    Django's view permissions on the registry (and the import log)."""

    def make(role: str = "admin", *, personal_data: bool, jurisdiction: str = COUNTY) -> Client:
        user = get_user_model().objects.create_user(f"{role}-{int(personal_data)}-{jurisdiction}", is_staff=True)
        user.user_permissions.set(
            Permission.objects.filter(codename__startswith="view_", content_type__app_label="talent")
        )
        StaffAccount.objects.create(
            user=user, jurisdiction=Division.objects.get(code=jurisdiction), role=role, personal_data=personal_data
        )
        client = Client(REMOTE_ADDR=ADDRESS)
        client.force_login(user)
        client.user = user
        return client

    return make


def test_a_person_page_in_full_is_one_row_naming_the_person_user_and_address(staff, people):
    client = staff("admin", personal_data=True)
    li = people["li"]
    url = admin_url(Person, "change", li.pk)
    response = client.get(url)
    assert response.status_code == 200
    content = response.content.decode()
    assert li.id_number in content and li.phone in content
    (row,) = reads()
    assert row.person_ids == [li.pk]
    assert (row.user_id, row.username, row.jurisdiction) == (client.user.pk, client.user.username, COUNTY)
    assert (row.address, row.method, row.path, row.view) == (ADDRESS, "GET", url, "admin:talent_person_change")
    assert row.full


def test_a_masked_person_page_shows_no_number_and_records_nothing(staff, people):
    client = staff("admin", personal_data=False)
    li = people["li"]
    response = client.get(admin_url(Person, "change", li.pk))
    assert response.status_code == 200
    content = response.content.decode()
    assert li.id_number not in content and li.phone not in content
    assert mask_id_number(li.id_number) in content and mask_phone(li.phone) in content
    assert reads() == []


def test_the_change_list_in_full_records_the_people_of_the_page(staff, people):
    client = staff("viewer", personal_data=True)
    url = admin_url(Person, "changelist")
    response = client.get(url)
    assert response.status_code == 200
    shown = [p.pk for p in response.context["cl"].result_list]
    assert sorted(shown) == sorted([people["li"].pk, people["wang"].pk])
    assert people["li"].id_number in response.content.decode()
    (row,) = reads()
    assert (row.view, row.address, row.username) == ("admin:talent_person_changelist", ADDRESS, client.user.username)
    assert sorted(row.person_ids) == sorted(shown)
    # A search by a full ID number: recorded with the number masked in the audit's query.
    response = client.get(url, {"q": people["wang"].id_number})
    assert [p.pk for p in response.context["cl"].result_list] == [people["wang"].pk]
    row = reads()[-1]
    assert row.person_ids == [people["wang"].pk]
    assert people["wang"].id_number not in row.query
    assert parse_qs(row.query) == {"q": [mask_id_number(people["wang"].id_number)]}
    # A page that shows nobody records nothing.
    assert client.get(url, {"q": "张三"}).status_code == 200
    assert len(reads()) == 2


def test_a_masked_change_list_shows_no_number_and_records_nothing(staff, people):
    client = staff("viewer", personal_data=False)
    response = client.get(admin_url(Person, "changelist"))
    assert len(response.context["cl"].result_list) == 2
    content = response.content.decode()
    for person in people.values():
        assert person.id_number not in content and mask_id_number(person.id_number) in content
    assert client.get(admin_url(Person, "changelist"), {"q": people["li"].id_number}).status_code == 200
    assert reads() == []


def test_history_pages_in_full_are_recorded_and_masked_ones_are_not(staff, people):
    li = people["li"]
    url = admin_url(Person, "history", li.pk)
    masked = staff("viewer", personal_data=False).get(url)
    assert masked.status_code == 200 and li.id_number not in masked.content.decode()
    assert reads() == []
    full = staff("viewer", personal_data=True)
    response = full.get(url)
    assert response.status_code == 200 and li.id_number in response.content.decode()
    (row,) = reads()
    assert (row.view, row.person_ids, row.username) == ("admin:talent_person_history", [li.pk], full.user.username)


def test_people_outside_the_jurisdiction_are_not_shown_nor_recorded(staff, people, hunan):
    Division.objects.create(code="430105000000", name="开福区", level="county", parent=hunan["city"])
    client = staff("admin", personal_data=True, jurisdiction="430105000000")
    assert client.get(admin_url(Person, "change", people["li"].pk)).status_code == 302
    assert list(client.get(admin_url(Person, "changelist")).context["cl"].result_list) == []
    assert reads() == []


def test_group_record_and_other_pages_show_names_only_and_record_nothing(staff, people):
    from talent.models import GraduateOfficial

    li = people["li"]
    graduate = GraduateOfficial.objects.create(person=li, batch_year=2009, selected_on=dt.date(2009, 8, 1))
    client = staff("admin", personal_data=True)
    for url in (admin_url(GraduateOfficial, "change", graduate.pk), admin_url(GraduateOfficial, "changelist")):
        response = client.get(url)
        assert response.status_code == 200 and "李明" in response.content.decode()
        assert li.id_number not in response.content.decode()
    assert reads() == []


def test_an_imports_error_list_is_masked_or_recorded(staff, people, hunan):
    li = people["li"]
    roster_import = RosterImport.objects.create(
        kind="people",
        file="imports/花名册.csv",
        original_name="花名册.csv",
        jurisdiction=hunan["county"],
        status="invalid",
        errors=[
            {
                "row": 2,
                "column": "居民身份证号码",
                "field": "id_number",
                "value": li.id_number,
                "code": "id_duplicate",
                "message": "身份证号码重复。",
            },
            {
                "row": 3,
                "column": "联系电话",
                "field": "phone",
                "value": "13912345678",
                "code": "phone_invalid",
                "message": "电话格式不对。",
            },
        ],
    )
    url = admin_url(RosterImport, "change", roster_import.pk)
    masked = staff("viewer", personal_data=False).get(url)
    assert masked.status_code == 200
    content = masked.content.decode()
    assert li.id_number not in content and "13912345678" not in content
    assert mask_id_number(li.id_number) in content and "139****5678" in content
    assert reads() == []
    full = staff("viewer", personal_data=True)
    response = full.get(url)
    assert li.id_number in response.content.decode() and "13912345678" in response.content.decode()
    (row,) = reads()
    assert (row.view, row.roster_import_id, row.username) == (
        "admin:talent_rosterimport_change",
        roster_import.pk,
        full.user.username,
    )


def test_raw_events_pages_are_for_national_accounts_with_the_right_and_recorded(staff, people, admin_client):
    li = people["li"]
    Person.objects.filter(pk=li.pk).update(phone="13700001111")  # an update event: its diff shows both phones
    county = staff("admin", personal_data=True)
    county.user.user_permissions.add(Permission.objects.get(codename="view_events"))
    # Events of every jurisdiction, unmasked: not for a county account, even with the right.
    assert county.get(admin_url(Person, "history", li.pk)).context["events_admin_url"] is None
    events = f"/admin/pghistory/events/?method=tracks&obj=talent.Person:{li.pk}"
    assert county.get(events).status_code == 403
    before = len(reads())
    response = admin_client.get(events, REMOTE_ADDR=ADDRESS)
    assert response.status_code == 200 and "13700001111" in response.content.decode()
    (row,) = reads()[before:]
    assert (row.view, row.person_ids, row.username, row.address) == (
        "admin:pghistory_events_changelist",
        [li.pk],
        "admin",
        ADDRESS,
    )
    # One event's page shows its stored row: recorded too.
    insert = next(e for e in response.context["cl"].result_list if e.pgh_label == "insert")
    detail = admin_client.get(f"/admin/pghistory/events/{insert.pk}/change/")
    assert detail.status_code == 200 and li.id_number in detail.content.decode()
    assert [(r.view, r.person_ids) for r in reads()[before + 1 :]] == [("admin:pghistory_events_change", [li.pk])]

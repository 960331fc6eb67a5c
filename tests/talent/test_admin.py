"""The Django admin: every model's pages open, searches find people, history is shown."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pghistory
import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from talent.admin import OUTSIDE_JURISDICTION
from talent.identity import make_id_number
from talent.models import (
    POST_OVERLAP,
    TERM_OVERLAP,
    Assessment,
    Division,
    EligibilityFact,
    EligibilityRule,
    GraduateOfficial,
    MobilityEvent,
    Person,
    Post,
    Returnee,
    RuralTalent,
    ServiceTerm,
    StaffAccount,
    Training,
    Venture,
    VentureFounder,
)

pytestmark = pytest.mark.django_db


def make_person(name: str, birth: dt.date, seq: int, *, gender: str = "male", **fields) -> Person:
    return Person.objects.create(
        name=name,
        gender=gender,
        birth_date=birth,
        id_number=make_id_number("430104", birth, seq, gender=gender),
        education=fields.pop("education", "bachelor"),
        **fields,
    )


@pytest.fixture
def registry(hunan):
    """One person in every group, with one row of every model."""
    person = make_person("李明", dt.date(1987, 3, 9), 11, home_division=hunan["village"], key_university=True)
    woman = make_person("王芳", dt.date(1990, 12, 31), 7, gender="female", home_division=hunan["community"])
    graduate = GraduateOfficial.objects.create(person=person, batch_year=2009, selected_on=dt.date(2009, 8, 1))
    term = ServiceTerm.objects.create(
        person=person, village=hunan["village"], start=dt.date(2009, 8, 1), end=dt.date(2012, 7, 31), term_number=1
    )
    returnee = Returnee.objects.create(person=woman, previous_city="深圳", returned_on=dt.date(2013, 2, 1))
    talent = RuralTalent.objects.create(person=woman, category="production", specialties=["柑橘种植", "养蜂"])
    post = Post.objects.create(
        person=person, village=hunan["village"], role="party_secretary", start=dt.date(2011, 1, 1)
    )
    assessment = Assessment.objects.create(person=person, year=2010, grade="excellent")
    training = Training.objects.create(
        person=person, title="村干部培训班", start=dt.date(2010, 5, 1), hours=Decimal("24")
    )
    venture = Venture.objects.create(
        name="桐木柑橘合作社", industry="planting", division=hunan["village"], founded_on=dt.date(2012, 3, 1)
    )
    founder = VentureFounder.objects.create(venture=venture, person=person)
    mobility = MobilityEvent.objects.create(
        person=person, date=dt.date(2015, 8, 1), channel="civil_service", destination_division=hunan["county"]
    )
    rule = EligibilityRule.objects.create(
        code="township-post", name="乡镇事业编制", min_service_years=6, min_role_years=3, roles=["deputy", "chief"]
    )
    fact, _ = EligibilityFact.objects.get_or_create(person=person, rule=rule)
    clerk = get_user_model().objects.create_user("changsha", password="pw", is_staff=True)
    account = StaffAccount.objects.create(user=clerk, jurisdiction=hunan["city"], role="editor")
    return {
        "rule": rule,
        "fact": fact,
        "account": account,
        "division": hunan["village"],
        "person": person,
        "woman": woman,
        "graduate": graduate,
        "term": term,
        "returnee": returnee,
        "talent": talent,
        "post": post,
        "assessment": assessment,
        "training": training,
        "venture": venture,
        "founder": founder,
        "mobility": mobility,
    }


MODELS = [
    ("division", Division),
    ("person", Person),
    ("graduate", GraduateOfficial),
    ("term", ServiceTerm),
    ("returnee", Returnee),
    ("talent", RuralTalent),
    ("post", Post),
    ("assessment", Assessment),
    ("training", Training),
    ("venture", Venture),
    ("founder", VentureFounder),
    ("mobility", MobilityEvent),
    ("account", StaffAccount),
]


def admin_url(model, view: str, *args) -> str:
    return reverse(f"admin:talent_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize(("key", "model"), MODELS, ids=[m.__name__ for _, m in MODELS])
def test_every_page_opens(admin_client, registry, key, model):
    obj = registry[key]
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "add"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
        admin_url(model, "delete", obj.pk),
    ):
        response = admin_client.get(url)
        assert response.status_code == 200, url


READ_ONLY = [("fact", EligibilityFact)]


@pytest.mark.parametrize(("key", "model"), READ_ONLY, ids=[m.__name__ for _, m in READ_ONLY])
def test_read_only_models(admin_client, registry, key, model):
    obj = registry[key]
    for url in (
        admin_url(model, "changelist"),
        admin_url(model, "change", obj.pk),
        admin_url(model, "history", obj.pk),
    ):
        assert admin_client.get(url).status_code == 200, url
    assert admin_client.get(admin_url(model, "add")).status_code == 403
    assert admin_client.get(admin_url(model, "delete", obj.pk)).status_code == 403
    response = admin_client.post(admin_url(model, "change", obj.pk), {})
    assert response.status_code == 403


def test_editing_a_rule_adds_a_version(admin_client, registry):
    rule = registry["rule"]
    assert admin_client.get(admin_url(EligibilityRule, "add")).status_code == 200
    assert admin_client.get(admin_url(EligibilityRule, "delete", rule.pk)).status_code == 403
    form = {
        "active": "on",
        "name": rule.name,
        "target": rule.target,
        "applies_to": rule.applies_to or "",
        "min_service_years": "5",
        "min_role_years": rule.min_role_years or "",
        "roles": ",".join(rule.roles),
        "min_assessment_grade": rule.min_assessment_grade or "",
        "assessment_years": rule.assessment_years or "",
        "max_age": rule.max_age or "",
        "min_education": rule.min_education or "",
        "current_role_class": rule.current_role_class or "",
    }
    response = admin_client.post(admin_url(EligibilityRule, "change", rule.pk), form)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    versions = list(EligibilityRule.objects.filter(code=rule.code).order_by("version"))
    assert [(v.version, v.is_current, v.min_service_years) for v in versions] == [
        (rule.version, False, rule.min_service_years),
        (rule.version + 1, True, 5),
    ]
    # A retired version can no longer be changed.
    assert admin_client.post(admin_url(EligibilityRule, "change", rule.pk), form).status_code == 403


@pytest.mark.parametrize(
    ("key", "model"),
    [*MODELS, ("rule", EligibilityRule), *READ_ONLY],
    ids=[m.__name__ for _, m in [*MODELS, ("rule", EligibilityRule), *READ_ONLY]],
)
def test_changelist_lists_the_row(admin_client, registry, key, model):
    response = admin_client.get(admin_url(model, "changelist"))
    assert registry[key] in response.context["cl"].result_list


def search_people(client, term: str) -> list[Person]:
    response = client.get(admin_url(Person, "changelist"), {"q": term})
    assert response.status_code == 200
    return list(response.context["cl"].result_list)


def test_search_people_by_full_id_number(admin_client, registry):
    person = registry["person"]
    assert search_people(admin_client, person.id_number) == [person]
    assert search_people(admin_client, f" {person.id_number} ") == [person]


def test_search_id_number_with_lower_case_x(admin_client, hunan):
    # Sequence 7 for a woman born on this day gives a check character of X.
    birth = dt.date(1949, 12, 31)
    number = next(
        make_id_number("110105", birth, seq, gender="female")
        for seq in range(500)
        if make_id_number("110105", birth, seq, gender="female").endswith("X")
    )
    person = Person.objects.create(
        name="赵敏", gender="female", birth_date=birth, id_number=number, education="high_school"
    )
    assert search_people(admin_client, number.lower()) == [person]


def test_search_people_by_id_prefix_and_name(admin_client, registry):
    person, woman = registry["person"], registry["woman"]
    assert set(search_people(admin_client, person.id_number[:6])) == {person, woman}
    assert search_people(admin_client, person.id_number[:14]) == [person]
    assert search_people(admin_client, "李明") == [person]
    assert search_people(admin_client, "王") == [woman]
    assert search_people(admin_client, "张三") == []


def test_search_person_records_by_id_number(admin_client, registry):
    response = admin_client.get(admin_url(Post, "changelist"), {"q": registry["person"].id_number})
    assert list(response.context["cl"].result_list) == [registry["post"]]
    response = admin_client.get(admin_url(Post, "changelist"), {"q": registry["woman"].id_number})
    assert list(response.context["cl"].result_list) == []


def test_person_change_page_has_the_inlines(admin_client, registry):
    response = admin_client.get(admin_url(Person, "change", registry["person"].pk))
    content = response.content.decode()
    prefixes = {formset.formset.prefix for formset in response.context["inline_admin_formsets"]}
    assert prefixes == {
        "graduate_official",
        "returnee",
        "rural_talent",
        "posts",
        "service_terms",
        "assessments",
        "trainings",
        "mobility_events",
        "founded",
    }
    for title in (
        "大学生村官",
        "返乡创业人员",
        "农村实用人才",
        "村两委职务",
        "聘期",
        "考核",
        "培训",
        "流动记录",
        "创办的致富项目",
    ):
        assert title in content
    # The one-to-one group records allow a single form each.
    one_to_one = {
        f.formset.prefix: f.formset.max_num
        for f in response.context["inline_admin_formsets"]
        if f.formset.prefix in {"graduate_official", "returnee", "rural_talent"}
    }
    assert one_to_one == {"graduate_official": 1, "returnee": 1, "rural_talent": 1}
    # Generated columns are shown, read-only: the post's class and the term's period.
    assert "正职" in content
    assert "2009-08-01 至 2012-07-31" in content
    assert 'name="posts-0-role_class' not in content


def test_chinese_labels(admin_client, registry):
    index = admin_client.get(reverse("admin:index")).content.decode()
    for label in (
        "农村人才与大学生村官信息库",
        "人才信息库",
        "行政区划",
        "人员",
        "大学生村官",
        "村两委职务",
        "致富项目",
    ):
        assert label in index
    changelist = admin_client.get(admin_url(Person, "changelist")).content.decode()
    for label in ("姓名", "居民身份证号码", "学历", "政治面貌", "户籍所在地", "人员类别", "大学本科", "搜索"):
        assert label in changelist
    add = admin_client.get(admin_url(Person, "add")).content.decode()
    for label in ("增加 人员", "出生日期", "民族", "汉族", "保存"):
        assert label in add


def test_generated_columns_are_read_only(admin_client, registry):
    response = admin_client.get(admin_url(Post, "change", registry["post"].pk))
    form = response.context["adminform"].form
    assert "role_class" not in form.fields
    assert "period" not in form.fields
    content = response.content.decode()
    assert "正职" in content
    assert "2011-01-01 至今" in content


def test_role_class_filter(admin_client, registry):
    response = admin_client.get(admin_url(Post, "changelist"), {"role_class": "chief"})
    assert list(response.context["cl"].result_list) == [registry["post"]]
    response = admin_client.get(admin_url(Post, "changelist"), {"role_class": "deputy"})
    assert list(response.context["cl"].result_list) == []


def test_person_group_filter(admin_client, registry):
    url = admin_url(Person, "changelist")
    expected = {
        "graduate_official": [registry["person"]],
        "village_cadre": [registry["person"]],
        "returnee": [registry["woman"]],
        "rural_talent": [registry["woman"]],
    }
    for group, people in expected.items():
        assert list(admin_client.get(url, {"group": group}).context["cl"].result_list) == people, group


def test_assessment_year_filter(admin_client, registry):
    url = admin_url(Assessment, "changelist")
    assert list(admin_client.get(url, {"year": "2010"}).context["cl"].result_list) == [registry["assessment"]]
    assert list(admin_client.get(url, {"year": "2011"}).context["cl"].result_list) == []
    assert list(admin_client.get(url, {"year": "earlier"}).context["cl"].result_list) == []


def test_within_filter(admin_client, registry, hunan):
    response = admin_client.get(admin_url(Person, "changelist"), {"within": "430104100000"})
    assert set(response.context["cl"].result_list) == {registry["person"], registry["woman"]}
    response = admin_client.get(admin_url(Person, "changelist"), {"within": "430105000000"})
    assert list(response.context["cl"].result_list) == []
    response = admin_client.get(admin_url(Division, "changelist"), {"within": "430104100000"})
    assert {d.code for d in response.context["cl"].result_list} == {"430104100000", "430104100201", "430104100001"}
    # A malformed code is refused, not matched against everything.
    response = admin_client.get(admin_url(Person, "changelist"), {"within": "4301"})
    assert response.status_code == 302


def test_big_tables_skip_the_full_count(admin_client, registry):
    for model in (Person, Division, Post, ServiceTerm, Assessment, Training, MobilityEvent):
        response = admin_client.get(admin_url(model, "changelist"))
        assert response.context["cl"].show_full_result_count is False, model


def test_foreign_keys_to_people_and_divisions_are_autocomplete(admin_client, registry):
    response = admin_client.get(admin_url(Post, "add"))
    content = response.content.decode()
    assert content.count("admin-autocomplete") >= 2
    assert 'data-field-name="person"' in content
    assert 'data-field-name="village"' in content
    # No select lists every division or person.
    assert '<option value="430104100201">' not in content
    assert f'<option value="{registry["woman"].pk}">' not in content


def test_autocomplete_searches(admin_client, registry):
    url = reverse("admin:autocomplete")
    params = {"app_label": "talent", "model_name": "post", "field_name": "village"}
    found = admin_client.get(url, {**params, "term": "4301041"}).json()["results"]
    # Only villages and communities can hold a post.
    assert {r["id"] for r in found} == {"430104100201", "430104100001"}
    found = admin_client.get(url, {**params, "term": "桐木"}).json()["results"]
    assert [r["id"] for r in found] == ["430104100201"]
    params = {"app_label": "talent", "model_name": "post", "field_name": "person"}
    found = admin_client.get(url, {**params, "term": registry["person"].id_number}).json()["results"]
    assert [r["id"] for r in found] == [str(registry["person"].pk)]


def test_person_changelist_query_count_does_not_grow(admin_client, registry, hunan):
    url = admin_url(Person, "changelist")
    admin_client.get(url)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(url)
    for seq in range(20, 30):
        make_person(f"村民{seq}", dt.date(1980, 1, 1), seq, home_division=hunan["village"])
    with CaptureQueriesContext(connection) as many:
        admin_client.get(url)
    assert len(many) == len(few)


def test_admin_change_is_recorded_with_the_user(admin_client, registry):
    village = registry["division"]
    url = admin_url(Division, "change", village.pk)
    response = admin_client.post(
        url,
        {
            "name": "桐木新村",
            "level": "village",
            "parent": village.parent_id,
            "kind": "village",
            "urban_rural_class": "220",
        },
    )
    assert response.status_code == 302
    village.refresh_from_db()
    assert village.name == "桐木新村"
    history = admin_client.get(admin_url(Division, "history", village.pk))
    content = history.content.decode()
    assert "修改" in content
    assert "名称:桐木村 → 桐木新村" in content
    assert "admin" in content  # the acting user, from pghistory's middleware
    assert url in content  # and the address of the request


def test_person_history_covers_related_records(admin_client, registry):
    person = registry["person"]
    user = get_user_model().objects.get(username="admin")
    with pghistory.context(user=user.pk):
        Assessment.objects.filter(pk=registry["assessment"].pk).update(grade="competent")
    response = admin_client.get(admin_url(Person, "history", person.pk))
    content = response.content.decode()
    rows = response.context["rows"]
    models = {row["model"] for row in rows}
    assert {"人员", "大学生村官", "聘期", "村两委职务", "考核", "培训", "流动记录", "项目创办人"} <= models
    assert "考核等次:优秀 → 称职" in content
    assert "(无上下文:脚本或数据库直接写入)" in content
    # Narrowed to the person's own record.
    response = admin_client.get(admin_url(Person, "history", person.pk), {"scope": "tracks"})
    assert {row["model"] for row in response.context["rows"]} == {"人员"}
    # The woman's history does not include the man's records.
    response = admin_client.get(admin_url(Person, "history", registry["woman"].pk))
    assert {row["model"] for row in response.context["rows"]} == {"人员", "返乡创业人员", "农村实用人才"}


def test_overlapping_post_is_refused_with_the_message(admin_client, registry):
    post = registry["post"]
    response = admin_client.post(
        admin_url(Post, "add"),
        {
            "person": post.person_id,
            "village": post.village_id,
            "role": post.role,
            "start": "2012-01-01",
            "end": "2013-01-01",
            "end_reason": "term_ended",
        },
    )
    assert response.status_code == 200
    assert POST_OVERLAP in response.content.decode()
    assert Post.objects.count() == 1


def test_overlapping_posts_in_one_submission_are_refused(admin_client, registry):
    person = registry["person"]
    url = admin_url(Person, "change", person.pk)
    data = person_form_data(admin_client, url)
    village = registry["division"].pk
    data.update(
        {
            "posts-TOTAL_FORMS": "3",
            "posts-1-village": village,
            "posts-1-role": "committee_director",
            "posts-1-start": "2014-01-01",
            "posts-2-village": village,
            "posts-2-role": "committee_director",
            "posts-2-start": "2016-01-01",
            "posts-2-end": "2016-12-31",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert POST_OVERLAP in response.content.decode()
    assert Post.objects.filter(person=person).count() == 1


def test_person_change_page_saves_inlines(admin_client, registry):
    person = registry["person"]
    url = admin_url(Person, "change", person.pk)
    data = person_form_data(admin_client, url)
    data.update(
        {
            "assessments-TOTAL_FORMS": "2",
            "assessments-1-year": "2011",
            "assessments-1-kind": "annual",
            "assessments-1-grade": "competent",
            "posts-TOTAL_FORMS": "2",
            "posts-1-village": registry["division"].pk,
            "posts-1-role": "committee_director",
            "posts-1-start": "2014-01-01",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 302, response.context["errors"] if response.context else response
    assert person.assessments.count() == 2
    assert person.posts.get(role="committee_director").role_class == "chief"


def person_form_data(client, url: str) -> dict:
    """The change form's current values, as the browser would send them back."""
    response = client.get(url)
    data = {}
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        formset = inline.formset
        forms.append(formset.management_form)
        forms.extend(formset.forms)
    for form in forms:
        for name in form.fields:
            value = form[name].value()
            if value is None or value is False:
                continue
            if isinstance(value, list):
                value = ",".join(str(v) for v in value)
            data[form.add_prefix(name)] = value
    return data


@pytest.fixture
def county_viewer(client, registry, hunan):
    """A staff user of another county, without the personal-data right, who may view people."""
    other = Division.objects.create(code="430105000000", name="开福区", level="county", parent=hunan["city"])
    user = get_user_model().objects.create_user("kaifu", password="pw", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(codename__startswith="view_", content_type__app_label="talent"))
    StaffAccount.objects.create(user=user, jurisdiction=other, role="viewer")
    client.force_login(user)
    return client, user


def test_accounts_see_only_their_jurisdiction(county_viewer, registry, hunan):
    client, _ = county_viewer
    assert list(client.get(admin_url(Person, "changelist")).context["cl"].result_list) == []
    # A person of Kaifu district is visible, with a masked ID number.
    kaifu = Division.objects.get(code="430105000000")
    township = Division.objects.create(code="430105001000", name="望麓园街道", level="township", parent=kaifu)
    community = Division.objects.create(
        code="430105001001", name="东风路社区", level="village", parent=township, kind="community"
    )
    local = make_person("陈静", dt.date(1992, 5, 4), 40, gender="female", home_division=community)
    response = client.get(admin_url(Person, "changelist"))
    assert list(response.context["cl"].result_list) == [local]
    content = response.content.decode()
    assert local.id_number not in content
    assert local.id_number[:4] + "**********" + local.id_number[-4:] in content
    # Someone else's records do not exist for this account.
    assert client.get(admin_url(Person, "change", registry["person"].pk)).status_code == 302


def test_history_masks_personal_data(county_viewer, hunan):
    client, _ = county_viewer
    kaifu = Division.objects.get(code="430105000000")
    local = make_person("陈静", dt.date(1992, 5, 4), 40, gender="female", home_division=kaifu, phone="13812345678")
    content = client.get(admin_url(Person, "history", local.pk)).content.decode()
    assert "新增" in content
    assert local.id_number not in content
    assert "138****5678" in content
    # pghistory's own events view shows raw values: no link to it for this account.
    assert "在事件总表中查看" not in content


def test_events_admin_link_for_superusers(admin_client, registry):
    person = registry["person"]
    response = admin_client.get(admin_url(Person, "history", person.pk))
    url = response.context["events_admin_url"]
    assert url.endswith(f"?method=references&obj=talent.Person:{person.pk}")
    assert admin_client.get(url).status_code == 200


def test_overlapping_terms_in_one_submission_are_refused(admin_client, registry):
    person = registry["person"]
    url = admin_url(Person, "change", person.pk)
    data = person_form_data(admin_client, url)
    data.update(
        {
            "service_terms-TOTAL_FORMS": "3",
            "service_terms-1-term_number": "2",
            "service_terms-1-village": registry["division"].pk,
            "service_terms-1-start": "2012-08-01",
            "service_terms-1-end": "2015-07-31",
            "service_terms-2-term_number": "3",
            "service_terms-2-village": registry["division"].pk,
            "service_terms-2-start": "2015-01-01",
        }
    )
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert TERM_OVERLAP in response.content.decode()
    assert ServiceTerm.objects.filter(person=person).count() == 1


def test_viewers_cannot_write(county_viewer, registry):
    client, user = county_viewer
    user.user_permissions.add(*Permission.objects.filter(codename__in=["add_person", "change_person"]))
    assert client.get(admin_url(Person, "add")).status_code == 403


def test_staff_without_account_or_permission_is_refused(client, registry):
    user = get_user_model().objects.create_user("clerk", password="pw", is_staff=True)
    client.force_login(user)
    assert client.get(admin_url(Person, "changelist")).status_code == 403
    # Django permissions alone are not enough: the account has no jurisdiction.
    user.user_permissions.set(Permission.objects.filter(codename="view_person"))
    assert client.get(admin_url(Person, "changelist")).status_code == 403
    response = client.get(admin_url(Person, "history", registry["person"].pk))
    assert response.status_code in (302, 403)


def test_editors_place_records_only_in_their_jurisdiction(client, registry, hunan):
    account = registry["account"]  # an editor for Changsha city
    account.user.user_permissions.set(
        Permission.objects.filter(content_type__app_label="talent", codename__in=["view_person", "add_person"])
    )
    client.force_login(account.user)
    other_province = Division.objects.create(code="440000000000", name="广东省", level="province")
    data = {
        "name": "周强",
        "gender": "male",
        "birth_date": "1985-06-01",
        "id_number": make_id_number("430104", dt.date(1985, 6, 1), 3, gender="male"),
        "ethnicity": "han",
        "political_status": "masses",
        "education": "bachelor",
        "home_division": other_province.code,
    }
    # The inlines this account may not add to are not on the page, and need no data.
    response = client.post(admin_url(Person, "add"), data)
    assert response.status_code == 200
    assert OUTSIDE_JURISDICTION.format(jurisdiction="430100000000") in response.content.decode()
    data["home_division"] = hunan["village"].code
    response = client.post(admin_url(Person, "add"), data)
    assert response.status_code == 302
    assert Person.objects.filter(name="周强").exists()

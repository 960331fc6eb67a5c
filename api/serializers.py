"""Serializers describe shape only. Writes go through talent.rules (full model validation,
one transaction, jurisdiction check); a "brief" form of each nests inside the others."""

from __future__ import annotations

import datetime as dt
from functools import cached_property

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import transaction
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from api import audit
from api.exceptions import django_to_drf
from api.fields import DivisionCodeField, IdNumberField, PersonRefField, PhoneField
from talent import rules
from talent.access import current_posts, scope_for
from talent.choices import Group, RoleClass
from talent.models import (
    Assessment,
    Division,
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
)


class FieldsBuiltOnce:
    """Serializer mixin: when rendering, the fields are built (from the model, with a deep copy
    of the declared ones) once per class, and each serializer binds shallow copies of them.
    Building them cost a person's detail more than reading the person did (docs/benchmarks.md,
    "Person detail"). A serializer given data (a write), and everything nested in it, builds its
    own, as DRF does: validation never meets a shared field.

    A copy shares only what a field is built with (choices, validators, error messages, a
    related field's queryset, which DRF clones before each use). A nested serializer's copy
    builds its own fields (copies again, if it uses this mixin); a nested list's child is
    copied and made the copy's."""

    _prototypes: dict[type, dict] = {}

    def get_fields(self):
        if hasattr(self.root, "initial_data"):
            return super().get_fields()
        prototypes = FieldsBuiltOnce._prototypes.get(type(self))
        if prototypes is None:
            prototypes = FieldsBuiltOnce._prototypes[type(self)] = super().get_fields()
        return {name: _unbound_copy(field) for name, field in prototypes.items()}

    @cached_property
    def _readable_fields(self) -> list:
        # Listed once per serializer: DRF's property walks the fields and tests each again for
        # every instance a serializer (a page's child, say) represents.
        return [field for field in self.fields.values() if not field.write_only]


def _unbound_copy(field):
    # What copy.copy does for a field (a new object of its class with its attributes), without
    # the pickling protocol it goes through: three times faster, 29 fields per detail.
    clone = object.__new__(type(field))
    clone.__dict__.update(field.__dict__)
    clone.__dict__.pop("fields", None)  # a nested serializer's, built for the copy
    clone.__dict__.pop("_readable_fields", None)
    if isinstance(field, serializers.ListSerializer):
        clone.child = _unbound_copy(field.child)
        clone.child.parent = clone  # bound as the prototype's child was (name ''), to the copy
    return clone


class RecordSerializer(serializers.ModelSerializer):
    """Base for registry records: writes call talent.rules.record_save."""

    def _actor(self):
        return self.context["request"].user

    def _save(self, instance, validated_data):
        try:
            return rules.record_save(instance=instance, data=validated_data, actor=self._actor())
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc

    def create(self, validated_data):
        return self._save(self.Meta.model(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


# --- Divisions -----------------------------------------------------------------------------


class DivisionBriefSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Division
        fields = ["code", "name", "level"]


class DivisionSerializer(serializers.ModelSerializer):
    parent = DivisionCodeField(required=False, allow_null=True)

    class Meta:
        model = Division
        fields = ["code", "name", "level", "parent", "kind", "urban_rural_class"]
        validators = []
        extra_kwargs = {"code": {"validators": []}}

    def validate_code(self, value):
        if self.instance is not None and value != self.instance.code:
            raise serializers.ValidationError("区划代码不能修改;请新增区划后合并。")
        return value

    def _save(self, instance, validated_data):
        try:
            return rules.division_save(division=instance, data=validated_data, actor=self.context["request"].user)
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc

    def create(self, validated_data):
        if Division.objects.filter(code=validated_data["code"]).exists():
            raise serializers.ValidationError({"code": "该区划代码已存在。"})
        return self._save(Division(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


class DivisionMergeSerializer(serializers.Serializer):
    into = DivisionCodeField(help_text="合并到的区划代码(同级)")


# --- People --------------------------------------------------------------------------------


class PersonBriefSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    id_number = IdNumberField(read_only=True)

    class Meta:
        model = Person
        fields = ["id", "name", "gender", "birth_date", "id_number"]

    def to_representation(self, instance):
        """The five fields written as DRF writes them, directly: a candidates page shows 50
        people, and DRF's field-by-field rendering cost it about 1 ms.
        tests/api/test_serializers.py compares the two for readers with and without the
        personal-data right; a field added to Meta fails that test until it is written here."""
        audit.note_person_shown(self.context, instance)  # full ID number: recorded (api/audit.py)
        return {
            "id": instance.id,
            "name": instance.name,
            "gender": instance.gender,
            "birth_date": instance.birth_date.isoformat(),
            "id_number": self.fields["id_number"].to_representation(instance.id_number),
        }


class GraduateOfficialSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = GraduateOfficial
        fields = ["batch_year", "selected_on", "status"]


class ReturneeSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = Returnee
        fields = ["previous_city", "previous_occupation", "returned_on"]


class RuralTalentSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    class Meta:
        model = RuralTalent
        fields = ["category", "specialties", "title_level", "operation_scale"]


def _role_class_field() -> serializers.ChoiceField:
    # role_class is a generated column, which DRF reads as a plain string; declared here so
    # the schema documents its values (RoleClassEnum).
    return serializers.ChoiceField(choices=RoleClass.choices, read_only=True, help_text="职务类别(由职务决定)")


class PostBriefSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    village = DivisionBriefSerializer(read_only=True)
    role_class = _role_class_field()

    class Meta:
        model = Post
        fields = ["id", "village", "role", "role_class", "start", "end"]


GROUP_SERIALIZERS = {
    "graduate_official": GraduateOfficialSerializer,
    "returnee": ReturneeSerializer,
    "rural_talent": RuralTalentSerializer,
}


class PersonSerializer(FieldsBuiltOnce, serializers.ModelSerializer):
    """A person with their group records; create and edit both in one request. Sending a
    group as null removes it; leaving it out keeps it as it is."""

    id_number = IdNumberField(max_length=18)
    phone = PhoneField(required=False, allow_blank=True, max_length=20)
    home_division = DivisionCodeField(required=False, allow_null=True)
    graduate_official = GraduateOfficialSerializer(required=False, allow_null=True)
    returnee = ReturneeSerializer(required=False, allow_null=True)
    rural_talent = RuralTalentSerializer(required=False, allow_null=True)
    groups = serializers.SerializerMethodField(help_text="所属人员类别")
    current_posts = serializers.SerializerMethodField(help_text="现任村两委职务")

    class Meta:
        model = Person
        fields = [
            "id",
            "name",
            "gender",
            "birth_date",
            "id_number",
            "ethnicity",
            "political_status",
            "party_joined_on",
            "education",
            "school",
            "major",
            "key_university",
            "phone",
            "home_division",
            "notes",
            "groups",
            "graduate_official",
            "returnee",
            "rural_talent",
            "current_posts",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["created_at", "updated_at"]
        validators = []
        extra_kwargs = {"id_number": {"validators": []}}

    @extend_schema_field(serializers.ListField(child=serializers.ChoiceField(choices=Group.choices)))
    def get_groups(self, person) -> list[str]:
        groups = []
        # Posts come prefetched (PersonViewSet.get_queryset); no query per person.
        if person.posts.all():
            groups.append(Group.VILLAGE_CADRE)
        for name in ("graduate_official", "returnee", "rural_talent"):
            if _related_or_none(person, name) is not None:
                groups.append(name)
        return groups

    @extend_schema_field(PostBriefSerializer(many=True))
    def get_current_posts(self, person):
        # Which posts are current and whose they are to see: talent.access.current_posts.
        today, scope = self._current_posts_shown
        brief = self._post_brief
        return [brief.to_representation(post) for post in current_posts(person.posts.all(), scope, on=today)]

    @cached_property
    def _current_posts_shown(self):
        # Today and the reader's scope, once for the rows of a page.
        return dt.date.today(), scope_for(getattr(self.context.get("request"), "user", None))

    @cached_property
    def _post_brief(self) -> PostBriefSerializer:
        # One serializer for the posts of every row of a page: building its fields from the
        # model (and the village's) for each person cost a page of 50 more than its queries.
        return PostBriefSerializer(context=self.context)

    def to_representation(self, instance):
        audit.note_person_shown(self.context, instance)  # full ID and phone: recorded (api/audit.py)
        data = super().to_representation(instance)
        for name in GROUP_SERIALIZERS:
            if _related_or_none(instance, name) is None:
                data[name] = None
        return data

    def _save(self, person, validated_data):
        groups = {name: validated_data.pop(name) for name in GROUP_SERIALIZERS if name in validated_data}
        try:
            with transaction.atomic():
                return rules.person_save(
                    person=person, data=validated_data, groups=groups, actor=self.context["request"].user
                )
        except DjangoValidationError as exc:
            raise django_to_drf(exc) from exc

    def create(self, validated_data):
        return self._save(Person(), validated_data)

    def update(self, instance, validated_data):
        return self._save(instance, validated_data)


def _related_or_none(instance, name):
    try:
        return getattr(instance, name)
    except Exception:  # RelatedObjectDoesNotExist of a one-to-one
        return None


# --- Posts, terms, assessments, trainings, ventures, mobility --------------------------------


class PostSerializer(RecordSerializer):
    person = PersonRefField()
    village = DivisionCodeField()
    role_class = _role_class_field()

    class Meta:
        model = Post
        fields = ["id", "person", "village", "role", "role_class", "start", "end", "end_reason"]
        read_only_fields = ["role_class"]
        validators = []


class ServiceTermSerializer(RecordSerializer):
    person = PersonRefField()
    village = DivisionCodeField()

    class Meta:
        model = ServiceTerm
        fields = ["id", "person", "village", "term_number", "start", "end"]
        validators = []


class AssessmentSerializer(RecordSerializer):
    person = PersonRefField()

    class Meta:
        model = Assessment
        fields = ["id", "person", "year", "kind", "grade"]
        validators = []


class TrainingSerializer(RecordSerializer):
    person = PersonRefField()

    class Meta:
        model = Training
        fields = ["id", "person", "title", "organizer", "start", "end", "hours", "mode"]
        validators = []


class VentureSerializer(RecordSerializer):
    division = DivisionCodeField()
    founders = PersonRefField(many=True)

    class Meta:
        model = Venture
        fields = [
            "id",
            "name",
            "industry",
            "division",
            "founded_on",
            "investment",
            "jobs_created",
            "annual_revenue",
            "founders",
        ]
        validators = []


class MobilityEventSerializer(RecordSerializer):
    person = PersonRefField()
    destination_division = DivisionCodeField(required=False, allow_null=True)

    class Meta:
        model = MobilityEvent
        fields = ["id", "person", "date", "channel", "destination_org", "destination_division", "cadre_level"]
        validators = []


# --- History -------------------------------------------------------------------------------


class HistoryChangeSerializer(serializers.Serializer):
    field = serializers.CharField()
    before = serializers.JSONField(allow_null=True)
    after = serializers.JSONField(allow_null=True)


class HistoryEventSerializer(serializers.Serializer):
    id = serializers.CharField(help_text="事件标识")
    action = serializers.ChoiceField(choices=["insert", "update", "delete"], help_text="操作")
    at = serializers.DateTimeField(help_text="时间")
    user = serializers.CharField(allow_null=True, help_text="操作人")
    changes = HistoryChangeSerializer(many=True, help_text="字段变化")


# --- Accounts ------------------------------------------------------------------------------


class StaffAccountSerializer(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username", read_only=True)
    jurisdiction = DivisionCodeField()

    class Meta:
        model = StaffAccount
        fields = ["id", "username", "jurisdiction", "role", "personal_data"]

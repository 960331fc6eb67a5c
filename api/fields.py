"""Serializer fields shared by the resources: masked personal data and jurisdiction-scoped
references."""

from __future__ import annotations

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from talent.access import mask_id_number, mask_phone, scope_for
from talent.models import Division, Person


def may_see_personal_data(context) -> bool:
    request = context.get("request")
    scope = scope_for(getattr(request, "user", None))
    return bool(scope and scope.personal_data)


class MaskedCharField(serializers.CharField):
    """Personal data (ID numbers, phones): shown in full only to accounts with the
    personal-data right, masked for everyone else. Input is always taken in full."""

    masker = staticmethod(mask_id_number)

    def to_representation(self, value):
        value = super().to_representation(value)
        if may_see_personal_data(self.context):
            return value
        return self.masker(value)


@extend_schema_field(
    {"type": "string", "example": "4301**********1234", "description": "居民身份证号码(无个人信息权限时脱敏)"}
)
class IdNumberField(MaskedCharField):
    masker = staticmethod(mask_id_number)


@extend_schema_field({"type": "string", "example": "138****5678", "description": "联系电话(无个人信息权限时脱敏)"})
class PhoneField(MaskedCharField):
    masker = staticmethod(mask_phone)


@extend_schema_field(
    {"type": "string", "pattern": r"^\d{12}$", "example": "430104100201", "description": "12位统计用区划代码"}
)
class DivisionCodeField(serializers.PrimaryKeyRelatedField):
    """A division referenced by its 12-digit code."""

    default_error_messages = {
        "does_not_exist": "区划代码 {pk_value} 不存在。",
        "incorrect_type": "区划代码应为12位数字字符串。",
    }

    def __init__(self, **kwargs):
        kwargs.setdefault("queryset", Division.objects.all())
        super().__init__(**kwargs)


@extend_schema_field(OpenApiTypes.INT)
class PersonRefField(serializers.PrimaryKeyRelatedField):
    """A person referenced by id; only people within the account's jurisdiction can be named
    (anyone else does not exist as far as the account is concerned)."""

    default_error_messages = {"does_not_exist": "人员 {pk_value} 不存在或不在您的管辖范围内。"}

    def get_queryset(self):
        request = self.context.get("request")
        return Person.objects.visible_to(getattr(request, "user", None))

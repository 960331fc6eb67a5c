"""Error codes of roster imports and their messages (docs/import.md lists them). Tests and the
API name these constants; ``{param}`` is filled from the check that found the error."""

from __future__ import annotations

from talent import identity

MESSAGES: dict[str, object] = {
    # The file as a whole.
    "file_format": "只受理 .xlsx 或 .csv 文件。",
    "file_unreadable": "无法读取文件:{param}",
    "file_empty": "文件中没有数据行。",
    "file_too_large": "文件超过{param}行,请拆分后分批导入。",
    "header_missing": "缺少必填列“{param}”。",
    "header_duplicate": "列“{param}”出现了不止一次。",
    "csv_columns": "该行的列数与表头不一致:{param}",
    # One cell.
    "required": "必填项未填写。",
    "group_required": "填写了{param}信息时,本列必填。",
    "too_long": "超过{param}字。",
    "id_excel_number": "身份证号码被Excel存成了数字(科学计数法),后几位已丢失;请把该列设为文本格式后重新填写。",
    "id_old_format": identity.ID_OLD_FORMAT,
    "id_malformed": identity.ID_MALFORMED,
    "id_birth_digits": "居民身份证号码中的出生日期 {param} 不是有效日期。",
    "id_checksum": "居民身份证号码校验位错误(应为 {param})。",
    "id_birth_mismatch": "与居民身份证号码中的出生日期 {param} 不一致。",
    "id_gender_mismatch": "居民身份证号码第17位表示{param}性,与所填性别不一致。",
    "date_month_only": "只填写了年月,请填写完整日期(年-月-日),如 {param}。",
    "date_invalid": "不是有效日期;可用的写法:2014-12-06、2014/12/6、2014.12.06、2014年12月6日、20141206。",
    "enum_invalid": "不是可选的值;可选:{param}。",
    "integer_invalid": "应为整数。",
    "out_of_range": "应在{param}之间。",
    "boolean_invalid": "应填“是”或“否”。",
    "phone_invalid": "电话号码应为11位手机号码或带区号的固定电话。",
    "division_malformed": "区划代码应为12位数字。",
    "division_unknown": "信息库中没有这个区划代码。",
    "division_not_village": "只能填写村(社区)级区划代码。",
    "outside_jurisdiction": "不在您的管辖范围({param})内。",
    "party_joined_before_birth": "入党时间必须晚于出生日期。",
    "end_before_start": "结束日期不能早于开始日期。",
    "end_reason_without_end": "未结束的职务不能填写离任原因。",
    # A row against other rows or the registry.
    "duplicate_in_file": "与第{param}行重复。",
    "person_conflict": "同一身份证号码在第{param}行的人员信息与本行不一致。",
    "person_exists": "该身份证号码已登记(仅新增方式不能修改已有人员;如需更新请选择“新增或更新”)。",
    "person_unknown": "信息库中没有该身份证号码的人员,请先导入人员花名册。",
    "person_outside": "该人员不在您的管辖范围({param})内。",
    "name_mismatch": "与该身份证号码登记的姓名({param})不一致。",
    "not_graduate_official": "该人员不是大学生村官,请先在人员花名册中登记其大学生村官信息。",
    "record_exists": "信息库中已有这条记录(仅新增方式;如需更新请选择“新增或更新”)。",
    "post_overlap": "同一人在同一村的同一职务任期不能重叠:{param}。",
    "post_open_duplicate": "同一人在同一村已有一个未结束的同一职务:{param}。",
    "term_overlap": "同一名大学生村官的聘期不能重叠:{param}。",
}


def message(code: str, param: str | None = None) -> str:
    return str(MESSAGES[code]).format(param="" if param is None else param)

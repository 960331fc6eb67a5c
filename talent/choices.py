"""Enumerations of the domain. Values are English identifiers (used by the API and imports);
labels are the Chinese terms staff read. Order matters where a rank is implied."""

from django.db import models


class Level(models.TextChoices):
    PROVINCE = "province", "省级"
    CITY = "city", "地级"
    COUNTY = "county", "县级"
    TOWNSHIP = "township", "乡级"
    VILLAGE = "village", "村级"


class VillageKind(models.TextChoices):
    COMMUNITY = "community", "社区(居委会)"
    VILLAGE = "village", "行政村(村委会)"


class UrbanRuralClass(models.TextChoices):
    # 统计用城乡分类代码
    MAIN_URBAN = "111", "主城区"
    URBAN_FRINGE = "112", "城乡结合区"
    TOWN_CENTRE = "121", "镇中心区"
    TOWN_FRINGE = "122", "镇乡结合区"
    SPECIAL = "123", "特殊区域"
    TOWNSHIP_CENTRE = "210", "乡中心区"
    VILLAGE = "220", "村庄"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class Ethnicity(models.TextChoices):
    # The 56 ethnic groups in the order and romanization of GB/T 3304.
    HAN = "han", "汉族"
    MONGOL = "mongol", "蒙古族"
    HUI = "hui", "回族"
    ZANG = "zang", "藏族"
    UYGUR = "uygur", "维吾尔族"
    MIAO = "miao", "苗族"
    YI = "yi", "彝族"
    ZHUANG = "zhuang", "壮族"
    BUYEI = "buyei", "布依族"
    CHOSEN = "chosen", "朝鲜族"
    MAN = "man", "满族"
    DONG = "dong", "侗族"
    YAO = "yao", "瑶族"
    BAI = "bai", "白族"
    TUJIA = "tujia", "土家族"
    HANI = "hani", "哈尼族"
    KAZAK = "kazak", "哈萨克族"
    DAI = "dai", "傣族"
    LI = "li", "黎族"
    LISU = "lisu", "傈僳族"
    VA = "va", "佤族"
    SHE = "she", "畲族"
    GAOSHAN = "gaoshan", "高山族"
    LAHU = "lahu", "拉祜族"
    SUI = "sui", "水族"
    DONGXIANG = "dongxiang", "东乡族"
    NAXI = "naxi", "纳西族"
    JINGPO = "jingpo", "景颇族"
    KIRGIZ = "kirgiz", "柯尔克孜族"
    TU = "tu", "土族"
    DAUR = "daur", "达斡尔族"
    MULAO = "mulao", "仫佬族"
    QIANG = "qiang", "羌族"
    BLANG = "blang", "布朗族"
    SALAR = "salar", "撒拉族"
    MAONAN = "maonan", "毛南族"
    GELAO = "gelao", "仡佬族"
    XIBE = "xibe", "锡伯族"
    ACHANG = "achang", "阿昌族"
    PUMI = "pumi", "普米族"
    TAJIK = "tajik", "塔吉克族"
    NU = "nu", "怒族"
    UZBEK = "uzbek", "乌孜别克族"
    RUSS = "russ", "俄罗斯族"
    EWENKI = "ewenki", "鄂温克族"
    DEANG = "deang", "德昂族"
    BONAN = "bonan", "保安族"
    YUGUR = "yugur", "裕固族"
    GIN = "gin", "京族"
    TATAR = "tatar", "塔塔尔族"
    DERUNG = "derung", "独龙族"
    OROQEN = "oroqen", "鄂伦春族"
    HEZHEN = "hezhen", "赫哲族"
    MONBA = "monba", "门巴族"
    LHOBA = "lhoba", "珞巴族"
    JINO = "jino", "基诺族"


class PoliticalStatus(models.TextChoices):
    PARTY_MEMBER = "party_member", "中共党员"
    PROBATIONARY_MEMBER = "probationary_member", "中共预备党员"
    LEAGUE_MEMBER = "league_member", "共青团员"
    DEMOCRATIC_PARTY = "democratic_party", "民主党派成员"
    NON_PARTY = "non_party", "无党派人士"
    MASSES = "masses", "群众"


class Education(models.TextChoices):
    # Lowest first; EDUCATION_RANK gives the order used by "at least" comparisons.
    PRIMARY = "primary", "小学及以下"
    JUNIOR_HIGH = "junior_high", "初中"
    HIGH_SCHOOL = "high_school", "高中"
    SECONDARY_VOCATIONAL = "secondary_vocational", "中专(中技)"
    JUNIOR_COLLEGE = "junior_college", "大学专科"
    BACHELOR = "bachelor", "大学本科"
    MASTER = "master", "硕士研究生"
    DOCTOR = "doctor", "博士研究生"


# High school and secondary vocational school are the same stage (高中阶段).
EDUCATION_RANK = {
    Education.PRIMARY: 1,
    Education.JUNIOR_HIGH: 2,
    Education.HIGH_SCHOOL: 3,
    Education.SECONDARY_VOCATIONAL: 3,
    Education.JUNIOR_COLLEGE: 4,
    Education.BACHELOR: 5,
    Education.MASTER: 6,
    Education.DOCTOR: 7,
}


class GraduateStatus(models.TextChoices):
    SERVING = "serving", "在岗"
    ENDED = "ended", "聘期结束"
    MOVED_ON = "moved_on", "已流动"


class TalentCategory(models.TextChoices):
    PRODUCTION = "production", "生产型人才"
    BUSINESS = "business", "经营型人才"
    SKILL_LEADING = "skill_leading", "技能带动型人才"
    SKILL_SERVICE = "skill_service", "技能服务型人才"
    SOCIAL_SERVICE = "social_service", "社会服务型人才"


class TitleLevel(models.TextChoices):
    NONE = "none", "无"
    JUNIOR = "junior", "初级"
    INTERMEDIATE = "intermediate", "中级"
    SENIOR = "senior", "高级"


class RoleClass(models.TextChoices):
    CHIEF = "chief", "正职"
    DEPUTY = "deputy", "副职"
    MEMBER = "member", "委员"
    ASSISTANT = "assistant", "助理"


class Role(models.TextChoices):
    PARTY_SECRETARY = "party_secretary", "村党组织书记"
    COMMITTEE_DIRECTOR = "committee_director", "村委会主任"
    PARTY_DEPUTY_SECRETARY = "party_deputy_secretary", "村党组织副书记"
    COMMITTEE_DEPUTY_DIRECTOR = "committee_deputy_director", "村委会副主任"
    PARTY_COMMITTEE_MEMBER = "party_committee_member", "村党组织委员"
    COMMITTEE_MEMBER = "committee_member", "村委会委员"
    SECRETARY_ASSISTANT = "secretary_assistant", "村党组织书记助理"
    DIRECTOR_ASSISTANT = "director_assistant", "村委会主任助理"


ROLE_CLASS = {
    Role.PARTY_SECRETARY: RoleClass.CHIEF,
    Role.COMMITTEE_DIRECTOR: RoleClass.CHIEF,
    Role.PARTY_DEPUTY_SECRETARY: RoleClass.DEPUTY,
    Role.COMMITTEE_DEPUTY_DIRECTOR: RoleClass.DEPUTY,
    Role.PARTY_COMMITTEE_MEMBER: RoleClass.MEMBER,
    Role.COMMITTEE_MEMBER: RoleClass.MEMBER,
    Role.SECRETARY_ASSISTANT: RoleClass.ASSISTANT,
    Role.DIRECTOR_ASSISTANT: RoleClass.ASSISTANT,
}


class PostEndReason(models.TextChoices):
    TERM_ENDED = "term_ended", "换届离任"
    RESIGNED = "resigned", "辞职"
    DISMISSED = "dismissed", "免职"
    TRANSFERRED = "transferred", "调任"
    PROMOTED = "promoted", "提拔"
    DECEASED = "deceased", "去世"
    OTHER = "other", "其他"


class AssessmentKind(models.TextChoices):
    ANNUAL = "annual", "年度考核"
    TERM = "term", "聘期考核"


class Grade(models.TextChoices):
    # Best first; GRADE_RANK gives the order used by "at or above" comparisons.
    EXCELLENT = "excellent", "优秀"
    COMPETENT = "competent", "称职"
    BASIC = "basic", "基本称职"
    INCOMPETENT = "incompetent", "不称职"


GRADE_RANK = {Grade.EXCELLENT: 4, Grade.COMPETENT: 3, Grade.BASIC: 2, Grade.INCOMPETENT: 1}


class TrainingMode(models.TextChoices):
    ON_SITE = "on_site", "现场培训"
    REMOTE = "remote", "远程培训"


class Industry(models.TextChoices):
    PLANTING = "planting", "种植业"
    BREEDING = "breeding", "养殖业"
    PROCESSING = "processing", "农产品加工"
    E_COMMERCE = "e_commerce", "农村电商"
    TOURISM = "tourism", "乡村旅游"
    SERVICES = "services", "生产生活服务"
    MANUFACTURING = "manufacturing", "制造业"
    OTHER = "other", "其他"


class MobilityChannel(models.TextChoices):
    STAY_IN_VILLAGE = "stay_in_village", "留村任职"
    CIVIL_SERVICE = "civil_service", "考录公务员"
    PUBLIC_INSTITUTION = "public_institution", "进入事业单位"
    SELF_EMPLOYED = "self_employed", "自主创业"
    OTHER_EMPLOYMENT = "other_employment", "另行择业"
    FURTHER_STUDY = "further_study", "继续学习深造"
    DISMISSED = "dismissed", "解聘离岗"
    OTHER = "other", "其他"


class CadreLevel(models.TextChoices):
    TOWNSHIP_DEPUTY = "township_deputy", "副科"
    TOWNSHIP_CHIEF = "township_chief", "正科"


class StaffRole(models.TextChoices):
    VIEWER = "viewer", "查看"
    EDITOR = "editor", "编辑"
    ADMIN = "admin", "管理员"


class Group(models.TextChoices):
    # The groups a person can belong to, any combination at once.
    VILLAGE_CADRE = "village_cadre", "村两委干部"
    GRADUATE_OFFICIAL = "graduate_official", "大学生村官"
    RETURNEE = "returnee", "返乡创业人员"
    RURAL_TALENT = "rural_talent", "农村实用人才"


class ReportKind(models.TextChoices):
    MOBILITY = "mobility", "大学生村官有序流动报表"
    ELIGIBILITY = "eligibility", "资格条件报表"
    ROSTER = "roster", "人员花名册"


class JobStatus(models.TextChoices):
    QUEUED = "queued", "排队中"
    RUNNING = "running", "生成中"
    SUCCEEDED = "succeeded", "已完成"
    FAILED = "failed", "失败"


class FileFormat(models.TextChoices):
    XLSX = "xlsx", "Excel 工作簿"
    CSV = "csv", "CSV(UTF-8)"


class ImportKind(models.TextChoices):
    PEOPLE = "people", "人员(含类别信息)"
    POSTS = "posts", "村两委职务"
    SERVICE_TERMS = "service_terms", "大学生村官聘期"
    ASSESSMENTS = "assessments", "年度考核"


class ImportMode(models.TextChoices):
    CREATE = "create", "仅新增"
    UPSERT = "upsert", "新增或更新(按身份证号码)"


class ImportStatus(models.TextChoices):
    UPLOADED = "uploaded", "已上传"
    VALIDATING = "validating", "校验中"
    VALID = "valid", "校验通过"
    INVALID = "invalid", "校验未通过"
    COMMITTING = "committing", "导入中"
    COMMITTED = "committed", "已导入"
    FAILED = "failed", "失败"


class Criterion(models.TextChoices):
    # The criteria of an eligibility rule, as reported per person.
    GROUP = "group", "人员类别"
    SERVICE = "service", "大学生村官服务年限"
    ROLE = "role", "任职年限"
    ASSESSMENT = "assessment", "年度考核"
    AGE = "age", "年龄"
    EDUCATION = "education", "学历"
    CURRENT_ROLE = "current_role", "现任职务"

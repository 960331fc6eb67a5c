"""Word pools for the demo registry (talent.demo): names, places, schools and trades as they
are found in Hunan. Static data only, written as small text tables; weights are relative."""

from __future__ import annotations


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


def _weighted(text: str) -> tuple[tuple[str, float], ...]:
    """ "刘 70 李 62" -> (("刘", 70.0), ("李", 62.0))."""
    parts = text.split()
    return tuple((parts[i], float(parts[i + 1])) for i in range(0, len(parts), 2))


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    """ "水稻种植=水稻{n}亩 茶业=有限公司" -> (("水稻种植", "水稻{n}亩"), ("茶业", "有限公司"))."""
    return tuple(tuple(item.split("=", 1)) for item in text.split())  # type: ignore[misc]


# --- People ----------------------------------------------------------------------------------

# Surnames common in Hunan, most frequent first (weights roughly follow their share).
SURNAMES_HAN = _weighted("""
    刘 70 李 62 王 50 张 48 陈 45 彭 30 谭 30 唐 28 曾 26 周 26 邓 25 罗 25 杨 24 黄 24 胡 22
    肖 20 易 16 蒋 16 吴 16 何 15 贺 14 廖 14 朱 14 文 12 欧阳 8 袁 12 钟 10 许 9 郭 9 段 9
    雷 9 谢 12 宋 8 戴 8 颜 7 夏 8 邹 8 汤 7 陶 6 毛 6 姚 6 邱 5 伍 7 左 5 聂 5 尹 6 孙 6
    马 5 徐 7 卢 5 梁 5 高 5 郑 5 余 5 阳 6 黎 6 付 5 符 3 蔡 4 杜 4 姜 3 潘 4 苏 4 龚 6 丁 3
    舒 4 林 4 方 3 熊 5 饶 3 邵 4 匡 3 童 3 成 4 凌 3 喻 4 晏 3 向 5 田 4 龙 4 石 4 粟 2 莫 2
    司马 1 谌 2 皮 2 旷 2 扶 2
""")
SURNAMES_BY_ETHNICITY = {
    "tujia": _weighted("向 30 田 28 彭 25 覃 15 张 12 李 12 王 10 杨 10 黄 8 鲁 5 瞿 5 宋 5 符 4 冉 4"),
    "miao": _weighted("龙 30 石 28 吴 25 麻 15 杨 15 田 10 滕 8 张 6 施 5 欧 5 廖 4 隆 4"),
    "dong": _weighted("杨 30 吴 28 粟 15 龙 12 石 10 陆 8 蒋 8 潘 6 姚 5 欧 4 蒲 4"),
    "yao": _weighted("盘 25 赵 20 邓 15 李 12 黄 10 冯 8 沈 6 奉 8 唐 6 任 4 房 3"),
    "bai": _weighted("谷 25 王 20 钟 18 熊 12 李 10 张 8 杨 6"),
    "hui": _weighted("马 30 金 10 哈 5 米 5 杨 8 白 6 刘 6"),
    "uygur": _weighted("翦 30 哈 15 马 10 纳 5"),
}

# Given-name characters by era; two-character names take two of them.
GIVEN_MALE_OLD = "建国军华明德新春生永忠清荣胜祥富贵福全兵文平志海宏刚云光学元东湘振庆松林桂初满长跃进红卫保"
GIVEN_MALE_NEW = "伟勇强辉斌杰涛波峰鹏飞超浩宇俊锋成立亮磊凯翔晨阳睿博轩子豪宏龙健毅帆"
GIVEN_FEMALE_OLD = "芳娟丽霞敏静燕艳玲红梅英兰琴萍秀桂花珍凤娥菊香翠莲群碧冬春月"
GIVEN_FEMALE_NEW = "婷慧莉洁雪丹倩颖娜琳佳晶欣怡雨琪思梦瑶露璐薇蕾湘蓉"

# Ethnic composition (percent) where it differs from the Han-majority default; keys are 6-digit
# county or 4-digit city codes, the county wins.
ETHNIC_MIX_DEFAULT = _weighted("han 98 tujia 0.5 miao 0.5 dong 0.3 yao 0.3 hui 0.2 bai 0.2")
ETHNIC_MIX = {
    "4331": _weighted("tujia 42 miao 31 han 25 bai 0.7 dong 0.5 hui 0.4 yao 0.4"),  # 湘西州
    "4308": _weighted("tujia 68 han 24 bai 5 miao 2 hui 0.5 dong 0.5"),  # 张家界
    "430822": _weighted("tujia 55 bai 22 han 20 miao 2 hui 1"),  # 桑植
    "4312": _weighted("han 80 miao 8 dong 7 tujia 2 yao 2 hui 0.5 bai 0.5"),  # 怀化
    "431222": _weighted("han 55 tujia 30 miao 10 bai 3 dong 1 hui 1"),  # 沅陵
    "431226": _weighted("han 60 miao 38 dong 1 tujia 1"),  # 麻阳
    "431227": _weighted("dong 80 han 18 miao 2"),  # 新晃
    "431228": _weighted("dong 55 han 40 miao 4 yao 1"),  # 芷江
    "431229": _weighted("miao 45 han 30 dong 24 yao 1"),  # 靖州
    "431230": _weighted("dong 78 han 12 miao 8 yao 2"),  # 通道
    "430527": _weighted("han 45 miao 40 dong 8 yao 7"),  # 绥宁
    "430529": _weighted("miao 55 han 40 yao 3 dong 2"),  # 城步
    "431129": _weighted("yao 65 han 35"),  # 江华
    "431125": _weighted("yao 60 han 40"),  # 江永
    "430725": _weighted("han 96 hui 2 uygur 1.5 tujia 0.5"),  # 桃源
    "430726": _weighted("tujia 55 han 44 bai 0.5 miao 0.5"),  # 石门
}

MOBILE_PREFIXES = _words("""
    130 131 132 133 135 136 137 138 139 150 151 152 153 155 156 157 158 159 173 176 177 180 181 182
    183 186 187 188 189
""")

# Universities college-graduate village officials came from, with a weight; KEY_UNIVERSITIES
# are the 985/211 ones.
UNIVERSITIES = _weighted("""
    湖南农业大学 14 湖南师范大学 6 湘潭大学 6 中南大学 3 湖南大学 3 长沙理工大学 6
    中南林业科技大学 6 湖南科技大学 6 吉首大学 6 南华大学 5 衡阳师范学院 5 湖南工业大学 4
    湖南商学院 4 湖南文理学院 4 湖南城市学院 4 怀化学院 4 邵阳学院 4 湖南人文科技学院 4
    湖南工程学院 3 湖南理工学院 3 湖南第一师范学院 3 湖南科技学院 3 长沙学院 3 湖南财政经济学院 3
    国防科学技术大学 1 武汉大学 1 华中农业大学 1.5 华中师范大学 1 中国农业大学 1 西北农林科技大学 1
    华南农业大学 1 江西农业大学 1
""")
KEY_UNIVERSITIES = frozenset(
    _words("""
    湖南师范大学 中南大学 湖南大学 国防科学技术大学 武汉大学 华中农业大学 华中师范大学 中国农业大学
    西北农林科技大学
""")
)
GRADUATE_MAJORS = _words("""
    农学 园艺 动物医学 行政管理 汉语言文学 法学 会计学 计算机科学与技术 市场营销 思想政治教育 土木工程
    电子商务 农林经济管理 水产养殖学 茶学 社会工作 公共事业管理 英语 数学与应用数学 植物保护 林学
    机械设计制造及其自动化 食品科学与工程 旅游管理
""")
VOCATIONAL_SCHOOLS = _words("""
    湖南生物机电职业技术学院 湖南环境生物职业技术学院 长沙民政职业技术学院 湖南广播电视大学
    湖南农业大学 湖南省农业学校 湖南化工职业技术学院 永州职业技术学院 怀化职业技术学院
""")
CADRE_MAJORS = (*_words("农学 畜牧兽医 农村经济管理 行政管理 会计 园艺 机电 法律事务"), "")

# Education of village people by birth year: born before the first number, the weights after.
EDUCATION_BY_BIRTH = (
    ("1955", _weighted("primary 25 junior_high 50 high_school 22 secondary_vocational 3")),
    ("1970", _weighted("primary 5 junior_high 40 high_school 40 secondary_vocational 10 junior_college 5")),
    ("1980", _weighted("junior_high 20 high_school 40 secondary_vocational 15 junior_college 20 bachelor 5")),
    ("9999", _weighted("junior_high 8 high_school 30 secondary_vocational 17 junior_college 30 bachelor 15")),
)

# --- Careers ---------------------------------------------------------------------------------

GRADES = _weighted("excellent 20 competent 71 basic 7 incompetent 2")
BATCH_YEARS = _weighted("2007 4 2008 14 2009 18 2010 18 2011 15 2012 12 2013 10 2014 9")
MOBILITY_CHANNELS = _weighted("""
    civil_service 25 public_institution 20 other_employment 20 stay_in_village 12 self_employed 8
    further_study 7 other 5 dismissed 3
""")
MID_TERM_LEAVE_REASONS = _weighted("resigned 40 transferred 20 dismissed 12 deceased 13 other 15")

# --- Places ----------------------------------------------------------------------------------

PLACE_FIRST = (
    "青石桃花龙金白黄清新东西南北长大高马杨柳枫松梅竹云月凤鹤双三五七九太永福兴安平和宝玉银碧紫红"
    "荷莲桐樟杉茶枣麻沙潭湘资沅澧岩泉湖江溪湾乌狮虎鹿牛羊凉横泥塔灵仙观文武丰乐泰盘古"
)
PLACE_SECOND = "山田水溪江河塘坪桥冲湾岭坡洲港口铺市湖岗坝垸园林峰源头门台寺庄里堡坳埠渡滩泉陂岩洞亭井"
VILLAGE_WORD_NAMES = _words("""
    新华 红旗 胜利 建设 光明 和平 团结 向阳 东风 幸福 民主 友谊 先锋 联合 群英 五一 八一 长乐
    永丰 太平 兴隆 丰收 同心 和谐 新民 红星 前进 共和 复兴 新建 双丰 富民 金星 星火 解放 黎明
""")
STREET_WORD_NAMES = _words("""
    城东 城西 城南 城北 城关 解放 人民 朝阳 建设 新华 文化 中山 五一 桥头 河西 车站 东塘 南湖
    北门 西湖 白沙 长岭 湘江 金霞
""")
COMMUNITY_SUFFIXES = (*_words("路 街 园 湖 桥 坪 港"), "")

# 城乡分类代码 by township type and village kind.
URBAN_RURAL_CLASSES = {
    ("street", "community"): _weighted("111 70 112 30"),
    ("street", "village"): _weighted("112 60 220 40"),
    ("town", "community"): _weighted("121 75 122 20 123 5"),
    ("town", "village"): _weighted("220 85 122 12 123 3"),
    ("xiang", "community"): _weighted("210 100"),
    ("xiang", "village"): _weighted("220 97 210 3"),
}

# Cities people left to work in before coming home (归雁工程).
WORK_CITIES = _weighted("""
    深圳 22 广州 18 东莞 16 上海 9 佛山 6 长沙 10 温州 3 杭州 3 北京 3 厦门 2 苏州 3 宁波 2 武汉 2 中山 3
""")
PREVIOUS_OCCUPATIONS = _words("""
    建筑工人 电子厂工人 餐饮服务员 个体经营 货车司机 技术员 销售员 车间主任 厨师 装修工 快递员
    企业管理人员 服装厂工人 模具工 保安 电工 工程承包 外贸业务员
""")

# --- Rural practical talent ------------------------------------------------------------------
# category -> ((specialty, scale of operation), ...); "{n}" is filled with a number.
SPECIALTIES = {
    "production": _pairs("""
        水稻种植=水稻{n}亩 油菜种植=油菜{n}亩 柑橘种植=柑橘{n}亩 茶叶种植=茶园{n}亩
        蔬菜种植=蔬菜基地{n}亩 烤烟种植=烤烟{n}亩 生猪养殖=生猪存栏{n}头 家禽养殖=家禽存栏{n}羽
        水产养殖=水面{n}亩 中药材种植=药材{n}亩 油茶种植=油茶林{n}亩 猕猴桃种植=猕猴桃{n}亩
        黄桃种植=黄桃{n}亩 肉牛养殖=肉牛存栏{n}头 山羊养殖=山羊存栏{n}只 稻虾共养=稻虾田{n}亩
        食用菌栽培=食用菌{n}万棒 蜜蜂养殖=蜂箱{n}箱
    """),
    "business": _pairs("""
        农产品经销=年销售额{n}万元 农村电商=网店年销售额{n}万元 农家乐经营=餐位{n}个
        农资经营=年销售额{n}万元 合作社管理=带动农户{n}户 乡村旅游=年接待游客{n}千人次
    """),
    "skill_leading": _pairs("""
        竹编=带徒{n}人 湘绣=带徒{n}人 木工=带徒{n}人 泥瓦工=带徒{n}人 蜡染=带徒{n}人
        土家织锦=带徒{n}人 侗锦织造=带徒{n}人 花瑶挑花=带徒{n}人 石雕=带徒{n}人
        米酒酿造=年产{n}吨 豆腐制作=年产{n}吨 腊肉加工=年产{n}吨
    """),
    "skill_service": _pairs("""
        农机驾驶=农机{n}台 植保飞防=年作业{n}千亩 动物防疫=服务农户{n}户 农技推广=服务农户{n}户
        电工=服务农户{n}户 家电维修=服务农户{n}户 病虫害防治=年作业{n}千亩
    """),
    "social_service": _pairs("""
        乡村医生=服务村民{n}户 民间文艺=年演出{n}场 花鼓戏表演=年演出{n}场 人民调解=年调解纠纷{n}件
        红白理事=年服务{n}场 乡村教师=学生{n}人
    """),
}
TALENT_CATEGORY_WEIGHTS = _weighted("production 55 business 15 skill_leading 12 skill_service 12 social_service 6")

# --- Ventures --------------------------------------------------------------------------------
# industry -> ((name stem, suffix), ...)
VENTURE_NAMES = {
    "planting": _pairs("""
        生态农业=专业合作社 果蔬种植=专业合作社 油茶开发=有限公司 茶业=有限公司
        中药材种植=专业合作社 优质稻=种植专业合作社
    """),
    "breeding": _pairs("生态养殖=专业合作社 生猪养殖=场 水产养殖=专业合作社 土鸡养殖=场 肉牛养殖=专业合作社"),
    "processing": _pairs("农产品加工=厂 腊味食品=有限公司 米业=有限公司 茶油加工=厂 豆制品=加工厂"),
    "e_commerce": _pairs("农特产品=电子商务有限公司 电商服务=站 网货=有限公司"),
    "tourism": _pairs("农家乐= 生态休闲农庄= 民宿= 乡村旅游=开发有限公司"),
    "services": _pairs("农机=专业合作社 植保=服务专业合作社 物流=服务部 家政=服务部"),
    "manufacturing": _pairs("竹木制品=厂 服装=加工厂 电子元件=厂 建材=厂"),
    "other": _pairs("综合服务=部 文化传媒=有限公司"),
}
INDUSTRY_WEIGHTS = _weighted("""
    planting 30 breeding 25 processing 12 e_commerce 8 tourism 10 services 8 manufacturing 5 other 2
""")

COMPANIES = _words("""
    湖南{place}农业科技有限公司 {place}现代农业发展有限公司 长沙{place}电子有限公司
    湖南{place}建设工程有限公司 {place}食品有限公司 湖南{place}物流有限公司
""")
PUBLIC_INSTITUTION_UNITS = _words("农业综合服务中心 财政所 社会事务综合服务中心 便民服务中心 林业站 文化站")
COUNTY_BUREAUS = _words("农业局 林业局 水务局 扶贫开发办公室 人力资源和社会保障局 民政局 商务局")

# --- Training: (title, hours) ----------------------------------------------------------------
TRAININGS_GRADUATE = _weighted("""
    大学生村官创业培训班 40 大学生村官能力提升培训班 32 农村电子商务培训班 24 基层党建业务培训班 16
    农村实用技术远程培训 20
""")
TRAININGS_CADRE = _weighted("""
    村党组织书记示范培训班 40 村干部履职能力培训班 24 基层党建业务培训班 16 农村党员干部现代远程教育培训 12
""")
TRAININGS_TALENT = _weighted(
    "新型职业农民培训 48 农村实用人才带头人培训班 40 农业实用技术培训 16 农村电子商务培训班 24"
)

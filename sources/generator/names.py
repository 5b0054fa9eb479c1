"""Embedded vocabularies (no Faker offline): Chinese names with pinyin, places, trades, texts.

Every string here must be encodable as GBK, because one CRM partition is written in GBK.
"""


def _pairs(text: str) -> tuple[tuple[str, str], ...]:
    return tuple(tuple(item.split(":")) for item in text.split())


# Roughly ordered by frequency; people.py weights them by rank.
SURNAMES = _pairs(
    "王:wang 李:li 张:zhang 刘:liu 陈:chen 杨:yang 黄:huang 赵:zhao 吴:wu 周:zhou 徐:xu 孙:sun "
    "马:ma 朱:zhu 胡:hu 郭:guo 何:he 林:lin 罗:luo 高:gao 郑:zheng 梁:liang 谢:xie 宋:song "
    "唐:tang 许:xu 韩:han 冯:feng 邓:deng 曹:cao 彭:peng 曾:zeng 肖:xiao 田:tian 董:dong "
    "袁:yuan 潘:pan 于:yu 蒋:jiang 蔡:cai 余:yu 杜:du 叶:ye 程:cheng 苏:su 魏:wei 吕:lv "
    "丁:ding 任:ren 沈:shen 姚:yao 卢:lu 姜:jiang 崔:cui 钟:zhong 谭:tan 陆:lu 汪:wang 范:fan "
    "金:jin 石:shi 廖:liao 贾:jia 夏:xia 韦:wei 付:fu 方:fang 白:bai 邹:zou 孟:meng 熊:xiong "
    "秦:qin 邱:qiu 江:jiang 尹:yin 薛:xue 段:duan 雷:lei 侯:hou 龙:long 史:shi 陶:tao 黎:li "
    "贺:he 顾:gu 毛:mao 郝:hao 龚:gong 邵:shao 万:wan 钱:qian 严:yan 武:wu 戴:dai 莫:mo "
    "孔:kong 向:xiang 欧阳:ouyang 上官:shangguan"
)

GIVEN = _pairs(
    "伟:wei 芳:fang 娜:na 敏:min 静:jing 丽:li 强:qiang 磊:lei 军:jun 洋:yang 勇:yong 艳:yan "
    "杰:jie 娟:juan 涛:tao 明:ming 超:chao 秀:xiu 霞:xia 平:ping 刚:gang 桂:gui 英:ying 华:hua "
    "玉:yu 萍:ping 红:hong 建:jian 国:guo 文:wen 辉:hui 鹏:peng 宇:yu 浩:hao 俊:jun 婷:ting "
    "雪:xue 琳:lin 晨:chen 欣:xin 佳:jia 怡:yi 梓:zi 涵:han 子:zi 轩:xuan 博:bo 思:si 雨:yu "
    "嘉:jia 昊:hao 然:ran 诗:shi 晓:xiao 志:zhi 海:hai 东:dong 波:bo 斌:bin 丹:dan 亮:liang "
    "飞:fei 慧:hui 玲:ling 燕:yan 春:chun 成:cheng 兰:lan 凤:feng 洁:jie 梅:mei 琴:qin 云:yun "
    "龙:long 林:lin 鑫:xin 宁:ning 峰:feng 坤:kun 阳:yang 帆:fan 倩:qian 蕾:lei 凯:kai 瑞:rui "
    "新:xin 振:zhen 立:li 永:yong 健:jian 世:shi 德:de 正:zheng 清:qing 彬:bin 荣:rong 家:jia"
)

# Company brand syllables; the pinyin doubles as the company's mail domain.
BRAND = _pairs(
    "华:hua 信:xin 达:da 恒:heng 瑞:rui 通:tong 盛:sheng 泰:tai 中:zhong 天:tian 宏:hong "
    "远:yuan 新:xin 海:hai 金:jin 博:bo 创:chuang 联:lian 腾:teng 嘉:jia 安:an 美:mei 鼎:ding "
    "丰:feng 源:yuan 德:de 凯:kai 星:xing 汇:hui 晨:chen 峰:feng 光:guang 龙:long 宇:yu 佳:jia"
)

# (province, city used in company names, 6-digit admin code used in credit codes, weight)
REGIONS = (
    ("广东", "深圳", "440300", 12),
    ("广东", "广州", "440100", 8),
    ("北京", "北京", "110000", 10),
    ("上海", "上海", "310000", 10),
    ("浙江", "杭州", "330100", 8),
    ("江苏", "苏州", "320500", 7),
    ("江苏", "南京", "320100", 5),
    ("四川", "成都", "510100", 5),
    ("湖北", "武汉", "420100", 4),
    ("山东", "青岛", "370200", 4),
    ("福建", "厦门", "350200", 3),
    ("天津", "天津", "120000", 3),
    ("重庆", "重庆", "500000", 3),
    ("河南", "郑州", "410100", 3),
    ("湖南", "长沙", "430100", 3),
    ("陕西", "西安", "610100", 3),
    ("安徽", "合肥", "340100", 3),
    ("辽宁", "沈阳", "210100", 2),
    ("河北", "石家庄", "130100", 2),
    ("云南", "昆明", "530100", 2),
)

# (industry, company-name suffix)
INDUSTRIES = (
    ("制造业", "机械制造"),
    ("零售", "商贸"),
    ("软件与信息服务", "信息技术"),
    ("金融", "投资管理"),
    ("医疗健康", "医疗器械"),
    ("教育", "教育科技"),
    ("物流", "供应链管理"),
    ("建筑工程", "建设工程"),
    ("餐饮", "餐饮管理"),
    ("能源化工", "新能源"),
    ("汽车", "汽车配件"),
    ("电子商务", "电子商务"),
)

COMPANY_DOMAIN_SUFFIXES = (".com", ".com.cn", ".cn", "tech.com", "group.com")

# (domain, weight); None stands for the person's own company domain.
EMAIL_DOMAINS = (
    (None, 38),
    ("qq.com", 25),
    ("163.com", 15),
    ("126.com", 7),
    ("foxmail.com", 5),
    ("sina.com", 4),
    ("outlook.com", 4),
    ("gmail.com", 2),
)

# Valid mainland mobile prefixes (13x-19x).
MOBILE_PREFIXES = (
    130,
    131,
    132,
    133,
    134,
    135,
    136,
    137,
    138,
    139,
    147,
    150,
    151,
    152,
    153,
    155,
    156,
    157,
    158,
    159,
    166,
    172,
    173,
    175,
    176,
    177,
    178,
    180,
    181,
    182,
    183,
    184,
    185,
    186,
    187,
    188,
    189,
    191,
    193,
    195,
    196,
    198,
    199,
)

# Mainland consumer IP first octets, so open/click IPs look plausible.
IP_FIRST_OCTETS = (
    36,
    39,
    58,
    59,
    60,
    61,
    101,
    106,
    110,
    111,
    112,
    113,
    114,
    115,
    116,
    117,
    118,
    119,
    120,
    121,
    122,
    123,
    124,
    125,
    180,
    182,
    183,
    202,
    210,
    211,
    218,
    219,
    220,
    221,
    222,
    223,
)

# Quotes and commas are deliberate: they exercise standard CSV quoting.
SUBJECTS = (
    "产品介绍",
    "报价跟进",
    "续约沟通",
    "售后回访",
    "新品推荐",
    "合同确认",
    "技术支持",
    "需求调研",
    "付款提醒",
    "节日问候",
    "样品寄送, 待确认",
    '客户说"再考虑"',
    "年度采购计划",
    "发票问题",
    "竞品对比",
    "演示预约",
    "培训安排",
    "投诉处理",
)

# Outcomes a rep logs, by activity type (call, visit, meeting, wechat, sms, note).
OUTCOMES = (
    ("connected", "no_answer", "busy", "interested", "follow_up", "not_interested"),
    ("completed", "interested", "quote_requested", "rescheduled", "not_interested"),
    ("completed", "interested", "quote_requested", "rescheduled", "not_interested"),
    ("read", "replied", "no_reply"),
    ("delivered", "no_reply"),
    (),
)
INBOUND_OUTCOMES = ("inquiry", "order_intent", "complaint", "support_request")

ORDER_CHANNELS = ("web", "app", "wechat_mini", "offline", "sales_rep")

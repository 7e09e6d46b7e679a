"""The Chinese words that shape a numeric target: verbs, scope words, comparators and what rules one out."""

from __future__ import annotations

import re

SENTENCE_END = "。！？!?\n"
CLAUSE_END = "，,；;：:\t" + SENTENCE_END
CONNECTOR_RE = re.compile(r"以及|、|和|及|与|或|,|，")

# Verbs that create or deliver the counted thing (建成10个…, 培育…10家); stripped from indicators.
VERBS = (
    "建设和改造|改造提升|推广应用|建成|建设|建立|培育|创建|打造|实施|推广|引进|新增|组织|发展|改造|扶持|认定|"
    "形成|培养|开展|举办|实现|推进|推动|完成|争创|支持|扩大|提供|创办|新建|改建|扩建|设立|吸引|带动|招引|孵化|"
    "安装|配备|上线|接入|覆盖|建好|布局|评选|遴选|命名|储备|引育|拓展|达到|突破|连通|整合|汇聚|选树|扶植|"
    "招募|吸纳|安排|落实|投入|提升|提高|增加|搭建|构建|建设完成"
)
ADVERBS = (
    "力争|确保|争取|至少|累计|每年|年均|全年|逐步|基本|分别|持续|进一步|积极|加快|着力|大力|努力|全面|其中|"
    "同时|并且|以及|总计|合计|原则上|一般|不得|不能|不应|不宜|最高|最多|最低|最长|最短|将"
)
# Single characters are adverbs only just before a verb (均不低于, 将达到, 约占); at the start of a phrase
# they are as often the first character of a noun (共享率, 近视率, 应急, 新能源).
TAIL_ADVERBS = ADVERBS + "|并|再|共|还|也|均|平均|约|近|要|应|须"
SCOPES = "全市|全省|全县|全区|全州|全镇|全国|我市|我省|我县|我区|本市|本省|城区|市区|所有|各类|各种|各级"
TIME_RE = re.compile(
    r"^(?:(?:到|至|于|在|力争|争取|截至|截止到?)?\s*(?:19|20)\d{2}\s*年(?:底前|底|末|年底前|前|以前)?[,，]?\s*)+"
)
# Item markers that start a clause (1. （一） 第三条) belong to the outline, not to the quote.
MARKER_RE = re.compile(
    r"^\s*(?:第[一二三四五六七八九十百零〇\d]{1,4}[条章节]\s*|[(（][一二三四五六七八九十\d]{1,3}[)）]\s*"
    r"|[一二三四五六七八九十]{1,3}[、．.]\s*|\d{1,2}[.．、](?!\d)\s*)"
)
# Verbs that set a level (…率达到70%, …带宽扩容至2000G); the words before them name the indicator.
VALUE_VERBS = (
    "提高到|提高至|提升到|提升至|增加到|增加至|增长到|增长至|扩容至|扩容到|扩大到|扩大至|保持在|稳定在|控制在|"
    "不低于|不少于|不小于|不超过|不高于|不大于|下降到|下降至|缩短至|缩短到|压缩至|压缩到|减少到|减少至|达到|"
    "超过|突破|增至|升至|降至|降到|减至|低于|高于|少于|多于|增长|提高|提升|下降|降低|减少|缩短|压缩|达|为|占"
)
VALUE_TAIL_RE = re.compile(rf"(?:{TAIL_ADVERBS})*(?P<verb>{VALUE_VERBS})(?:了)?(?:{TAIL_ADVERBS})*$")
GROWTH_VERBS = ("增长", "提高", "提升", "下降", "降低", "减少", "缩短", "压缩")
GROWTH_WORDS = ("增长率", "增速", "增幅", "降幅", "年均增长")
# 每年 carries over the commas of a sentence (每年组织培训100场次，参训10000人次); 年均 stays in its clause.
EVERY_YEAR_RE = re.compile(r"每年|每年度|年度新增")
ANNUAL_RATE_RE = re.compile(r"年均|年增长|逐年|平均每年|年平均|平均增速|平均增长")
# Statements of fact, not commitments: 截至2018年底已建成…, 每天有超过1亿人次…, 共发生地震48次.
STATUS_RE = re.compile(
    r"截至|截止|目前|现有|已有|已建成|已达|已经|去年|上年|同比|有超过|有近|有约|发生|死亡|遇难|受伤|重伤|伤亡|损失"
)
INDEX_WORDS = ("指数", "指标值", "得分", "分值", "系数", "评分")
# Counts of the document's own parts (6个重点领域, 12项重点任务) describe its structure.
STRUCTURE_RE = re.compile(
    r"^(?:(?:重点|主要|具体|基本|专项)?(?:任务|领域|方面|环节|原则|措施|举措|行动|工程|方向|目标|部分|板块|重点"
    r"|内容|要求|问题|条件|情形))"
)
# Money that rewards, subsidises or fines under a rule is a policy instrument, not a level to reach.
INCENTIVE_RE = re.compile(r"奖励|奖金|补贴|补助|资助|扶持|罚款|罚金|安家费|奖$|最高|上限|最多")
RANGE_SUFFIXES = ("以上", "及以上", "以下", "及以下", "以内", "之内", "内")
COMPARATOR_CUES = {
    "不少于": ">=", "不低于": ">=", "不小于": ">=", "不得少于": ">=", "不得低于": ">=", "不能少于": ">=",
    "不能低于": ">=", "不超过": "<=", "不高于": "<=", "不大于": "<=", "不得超过": "<=", "不能超过": "<=",
    "不得高于": "<=", "不得多于": "<=", "至少": ">=", "超过": ">=", "多于": ">=", "高于": ">=", "大于": ">=",
    "突破": ">=", "逾": ">=", "低于": "<=", "少于": "<=", "控制在": "<=", "压缩至": "<=", "压缩到": "<=",
    "缩短至": "<=", "缩短到": "<=", "压减至": "<=", "压减到": "<=",
}  # fmt: skip
COMPARATOR_RE = re.compile("|".join(sorted(COMPARATOR_CUES, key=len, reverse=True)))
SUFFIX_COMPARATORS = {
    "以上": ">=", "及以上": ">=", "以下": "<=", "及以下": "<=", "以内": "<=", "之内": "<=", "内": "<=",
    "左右": "~", "上下": "~",
}  # fmt: skip
ABOUT = ("约", "大约", "近", "接近")


def _alternation(*groups: str) -> str:
    """Join word lists longest first, so 新增 wins over 新 and 全国性 is not read as 全国."""
    words = {word for group in groups for word in group.split("|")}
    return "|".join(sorted(words, key=len, reverse=True))


_COMPARATOR_WORDS = "|".join(COMPARATOR_CUES)
_COUNTY = r"各县\([^)]*\)"
_JOINER = r"(?!性)(?:和|及|并|、)?"
_LEAD_WORDS = _alternation(SCOPES, ADVERBS, VERBS, _COMPARATOR_WORDS)
LEAD_RE = re.compile(rf"^(?:(?:{_COUNTY}|{_LEAD_WORDS}){_JOINER})+")
LEAD_SOFT_RE = re.compile(rf"^(?:(?:{_COUNTY}|{_alternation(SCOPES, ADVERBS)}){_JOINER})+")
ENDS_WITH_VERB_RE = re.compile(rf"(?:{VERBS})$")
TRAILING_VERBS_RE = re.compile(rf"(?:{_alternation(ADVERBS, VERBS)})+$")

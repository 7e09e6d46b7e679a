"""Synthetic public posts for the demo city: everyday chatter and the bursts an office must notice.

Every sentence here was written for the demo; place names come from the jurisdiction's regions (聊城市 by
default), departments from the demo city's short names, and every community, road and person is invented.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass
from functools import lru_cache

from minsheng.org.division import jurisdiction_entries

FALLBACK_REGIONS = {
    "东昌府区": ["古楼街道", "柳园街道", "新区街道", "湖西街道", "闫寺街道", "堂邑镇"],
    "茌平区": ["振兴街道", "信发街道", "博平镇", "杜郎口镇"],
    "临清市": ["青年路街道", "新华路街道", "松林镇", "烟店镇"],
    "冠县": ["清泉街道", "崇文街道", "柳林镇", "东古城镇"],
}
ROADS = ("柳园路", "东昌路", "兴华路", "花园路", "建设路", "振兴路", "光岳路", "卫育路", "湖南路", "站前街")
COMMUNITIES = ("幸福小区", "阳光花园", "金柳园", "水城明珠", "东苑小区", "龙湾家园", "和谐家园", "书香苑")
SPOTS = (
    "东昌湖",
    "古运河边",
    "人民公园",
    "体育公园",
    "市民广场",
    "火车站",
    "汽车总站",
    "水城广场",
    "湿地公园",
)
FOODS = ("呱嗒", "八批烧鸡", "沙镇呱嗒", "羊肉汤", "烧饼", "煎饼果子", "水煎包", "老豆腐", "炒鸡")
DEPARTMENTS = ("市住建局", "市交通局", "12345热线", "市场监管局", "市环保局", "城管局", "教育局", "卫健委")
BUS_LINES = ("3", "5", "8", "11", "16", "19", "K2", "K7", "26", "101")
TIMES = ("今天早上", "刚才", "下午", "昨天晚上", "这两天", "中午", "周末", "今早七点多")

# (topic, sentiment, sentences); one is picked to open a post, more from the same topic may follow.
BACKGROUND: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    (
        "weather",
        "neutral",
        (
            "{time}{district}下了一场小雨，气温一下子降了好几度。",
            "天气预报说明天有大风降温，出门记得加衣服。",
            "{spot}这边雾有点大，开车的朋友慢一点。",
            "今年的春天来得早，{town}的桃花都开了。",
            "连着晴了一周，{district}的空气质量还不错。",
            "傍晚的{spot}晚霞特别好看，随手拍了几张。",
        ),
    ),
    (
        "traffic",
        "negative",
        (
            "{time}{road}和{road2}路口堵了半个多小时，红绿灯是不是坏了。",
            "{road}修路修了快两个月了，绕行太麻烦。",
            "早高峰{road}上电动车乱穿马路，太危险了。",
            "{community}门口的路灯又不亮了，晚上走路黑乎乎的。",
            "{road}附近停车太难了，转了三圈都找不到车位。",
        ),
    ),
    (
        "traffic",
        "positive",
        (
            "{road}拓宽以后通行顺畅多了，点个赞。",
            "{bus}路公交车新换了空调车，坐着很舒服。",
            "{district}新开的停车场终于能停车了，收费也合理。",
            "晚上{road}的路灯修好了，谢谢{dept}。",
        ),
    ),
    (
        "food",
        "positive",
        (
            "{town}老街那家{food}还是小时候的味道，排队的人真多。",
            "周末带孩子去{spot}附近吃{food}，分量足价格也实在。",
            "推荐{road}上一家新开的{food}店，老板很热情。",
            "早上一碗{food}，一天都有精神。",
            "{district}夜市开张了，{food}、烤串、冰粉应有尽有。",
        ),
    ),
    (
        "food",
        "negative",
        (
            "{road}那家{food}店卫生太差了，桌子上都是油。",
            "外卖等了一个多小时，{food}都凉了。",
            "{spot}边上的小吃摊价格涨得太离谱了。",
        ),
    ),
    (
        "events",
        "positive",
        (
            "{spot}这周末有灯会，晚上人特别多。",
            "{district}举办的马拉松报名开始了，有没有一起跑的。",
            "{town}今天有大集，卖年货的可多了。",
            "{spot}的音乐节太热闹了，现场气氛很好。",
            "社区组织老年人免费体检，{community}的大爷大妈都去了。",
            "{district}图书馆周末有亲子阅读活动，孩子很喜欢。",
        ),
    ),
    (
        "services",
        "positive",
        (
            "去政务服务中心办营业执照，一个窗口全办完，不到半小时。",
            "打了12345反映{community}的问题，第二天就有人来处理了。",
            "社保卡补办现在网上就能申请，方便多了。",
            "{town}便民服务中心的工作人员很耐心，给老人一点点讲。",
            "不动产登记现在能预约了，不用一大早去排队。",
        ),
    ),
    (
        "services",
        "negative",
        (
            "办个证跑了三趟，每次都说缺材料，能不能一次说清楚。",
            "医院挂号太难了，网上一放号就没了。",
            "{community}的物业费涨了，服务一点没变好。",
            "{community}电梯又坏了，住高层的老人上下楼太难了。",
            "楼下烧烤店油烟直排，家里窗户都不敢开。",
            "{road}的工地晚上十一点还在施工，噪音吵得睡不着。",
        ),
    ),
    (
        "daily",
        "neutral",
        (
            "{time}在{spot}遛弯，看到好多人在放风筝。",
            "{district}的房价最近有点松动，有买房的可以看看。",
            "孩子下学期要上小学了，{district}的学区怎么划分的。",
            "有没有人知道{town}哪里可以修自行车。",
            "{community}楼下新开了一家超市，东西还挺全。",
            "请问{bus}路公交末班车是几点。",
            "{spot}新修的步道走一圈大概多长时间。",
        ),
    ),
    (
        "tourism",
        "positive",
        (
            "外地朋友来玩，带他们逛了{spot}，都说水城名不虚传。",
            "{town}的乡村游越来越好了，采摘园的草莓很甜。",
            "节假日{spot}游客很多，停车场都满了。",
            "坐船游东昌湖，风景真好，推荐给大家。",
        ),
    ),
)
TAILS = (
    "",
    "",
    "大家觉得呢？",
    "有同感的扣个1。",
    "希望越来越好。",
    "[赞][赞]",
    "转给需要的朋友。",
    "不知道有没有人管。",
    "记录一下。",
)


@dataclass(frozen=True)
class BurstKind:
    """An injected story: who posts about it, how loud it gets, and the sentences they use."""

    key: str
    label: str
    sentiment: str
    sentences: tuple[str, ...]
    peak_per_minute: float
    ramp_minutes: float
    duration_minutes: float


BURSTS: dict[str, BurstKind] = {
    kind.key: kind
    for kind in (
        BurstKind(
            "pollution",
            "化工厂异味 / 河水变色",
            "negative",
            (
                "{town}化工园区那边一股刺鼻的味道，{town}这边都闻到了，窗户都不敢开。",
                "{town}附近的小河水变成了{color}，还有死鱼漂着，是不是有厂子偷排？",
                "刚路过{town}化工厂，味道呛得人咳嗽，孩子说头晕。",
                "有没有人管管{town}的化工厂，晚上偷偷排放，河水都变{color}了。",
                "{town}的河水颜色不对劲，{color}的，拍了视频，已经打12345了。",
                "我们{town}好几个村都闻到了异味，市环保局能不能来查一下。",
                "化工厂异味又来了，{town}的居民晚上根本睡不着。",
            ),
            peak_per_minute=14,
            ramp_minutes=12,
            duration_minutes=45,
        ),
        BurstKind(
            "rumour",
            "学校停课谣言",
            "negative",
            (
                "群里都在传{district}明天所有中小学停课，是真的吗？",
                "听说{school}有学生得了传染病，全校要停课一周，家长群都炸了。",
                "{district}学校停课的消息到底是真是假，教育局能不能出来说句话。",
                "朋友圈转疯了，说{district}要停课，孩子明天还要不要送？",
                "刚接到老师电话说{school}正常上课，网上停课的说法是谣言。",
                "别再转了，{district}教育局说没有停课通知，都是谣言。",
            ),
            peak_per_minute=18,
            ramp_minutes=8,
            duration_minutes=35,
        ),
        BurstKind(
            "fraud",
            "刷单兼职诈骗广告",
            "neutral",
            (
                "招聘兼职，在家用手机刷单，日结三百到八百，不收任何费用，有意者加微信{handle}。",
                "宝妈学生兼职，动动手指点赞刷单，一单一结，{district}本地可面试，联系{handle}。",
                "【兼职】淘宝刷单返利，本金加佣金秒返，名额有限，私信{handle}。",
                "在家就能赚钱，刷单兼职日入五百，{district}已有上百人加入，加{handle}领任务。",
                "提醒大家：最近{district}很多刷单兼职广告，都是诈骗，先让你垫钱再跑路。",
            ),
            peak_per_minute=10,
            ramp_minutes=6,
            duration_minutes=30,
        ),
        BurstKind(
            "bus",
            "公交线路调整",
            "negative",
            (
                "{bus}路公交改线了，{road}那一站直接取消，老人看病怎么去？",
                "{bus}路改道也不提前通知，今天在{road}站等了四十分钟，气死了。",
                "强烈要求恢复{bus}路原来的线路，{community}上千户居民出行太不方便了。",
                "{bus}路调整以后孩子上学要倒两趟车，交通局考虑过我们吗？",
                "公交线路调整就不能先听听群众意见吗，{bus}路走{road}走了十几年了。",
                "{community}的居民都在签名，要求{bus}路恢复{road}站。",
            ),
            peak_per_minute=12,
            ramp_minutes=10,
            duration_minutes=40,
        ),
        BurstKind(
            "outage",
            "小区停水停电",
            "negative",
            (
                "{community}又停水了，没有任何通知，做饭的水都没有。",
                "{district}{community}从早上停电到现在，冰箱里的东西都要坏了。",
                "{community}停水停电一整天了，物业电话打不通。",
                "请问{community}什么时候来水？家里有老人孩子，太难了。",
                "{community}停电，电梯里困了人，物业半天才来。",
                "刚问了供水公司，说{community}是管道破裂在抢修，今晚能恢复。",
            ),
            peak_per_minute=15,
            ramp_minutes=10,
            duration_minutes=40,
        ),
    )
}
COLORS = ("黄色", "红褐色", "乳白色", "墨绿色")
SCHOOLS = ("实验小学", "第二中学", "育才中学", "新华路小学", "外国语学校")
HANDLES = ("sd8899x", "jzrw2024", "hb-666", "zhuanqian_01")
_SLOT_RE = re.compile(r"\{(\w+)\}")


@dataclass(frozen=True)
class Post:
    """One synthetic post: its text, an optional forum title, its kind (background or a burst's key)."""

    title: str
    text: str
    kind: str
    sentiment: str


@lru_cache(maxsize=4)
def _regions(code: str) -> dict[str, tuple[str, ...]]:
    """Map each district of the jurisdiction to its towns and streets."""
    try:
        entries = jurisdiction_entries(code)
    except Exception:
        # The division data ships with the package; without it (a bare checkout) a fixed subset stands in.
        return {d: tuple(t) for d, t in FALLBACK_REGIONS.items()}
    districts = {e.code: e.name for e in entries if e.parent_code == code}
    towns: dict[str, list[str]] = {name: [] for name in districts.values()}
    for entry in entries:
        if entry.parent_code in districts:
            towns[districts[entry.parent_code]].append(entry.name)
    found = {d: tuple(t) for d, t in towns.items() if t}
    return found or {d: tuple(t) for d, t in FALLBACK_REGIONS.items()}


class Chatter:
    """Write posts from the templates; deterministic for a given random generator."""

    def __init__(self, rng: random.Random, *, jurisdiction: str = "371500") -> None:
        self.rng = rng
        self.regions = _regions(jurisdiction)
        # Each burst happens in one place, chosen once, so that its posts belong together.
        self.burst_places = {key: self._place() for key in BURSTS}

    def _place(self) -> dict[str, str]:
        rng = self.rng
        district = rng.choice(sorted(self.regions))
        return {
            "district": district,
            "town": rng.choice(self.regions[district]),
            "road": rng.choice(ROADS),
            "community": rng.choice(COMMUNITIES),
            "bus": rng.choice(BUS_LINES),
            "school": district.removesuffix("区").removesuffix("县").removesuffix("市") + rng.choice(SCHOOLS),
            "color": rng.choice(COLORS),
            "handle": rng.choice(HANDLES),
        }

    def _fill(self, template: str, fixed: dict[str, str]) -> str:
        rng = self.rng
        place = self._place()
        choices = {
            "time": rng.choice(TIMES),
            "road2": rng.choice([road for road in ROADS if road != place["road"]]),
            "spot": rng.choice(SPOTS),
            "food": rng.choice(FOODS),
            "dept": rng.choice(DEPARTMENTS),
        }
        values = {**place, **choices, **fixed}
        return _SLOT_RE.sub(lambda m: values.get(m.group(1), m.group(0)), template)

    def _compose(self, sentences: tuple[str, ...], fixed: dict[str, str], kind: str, sentiment: str) -> Post:
        rng = self.rng
        target = int(rng.triangular(30, 400, 70))
        pool = list(sentences)
        rng.shuffle(pool)
        count = rng.choice((1, 1, 2, 2, 3, 4))
        text = "".join(self._fill(s, fixed) for s in pool[:count])
        rest = pool[count:]
        while rest and (len(text) < 30 or (len(text) < target and rng.random() < 0.8)):
            text += self._fill(rest.pop(), fixed)
        # Long posts wander to a second subject, as people's posts do.
        while len(text) < target and kind == "background" and rng.random() < 0.7:
            other = rng.choice(BACKGROUND)[2]
            text += self._fill(rng.choice(other), fixed)
        while len(text) < 30:
            text += self._fill(rng.choice(sentences), fixed)
        tail = rng.choice(TAILS)
        text = (text + tail)[:400]
        title = ""
        if rng.random() < 0.35:
            title = re.split(r"[，。？！]", text, maxsplit=1)[0][:28]
        return Post(title=title, text=text, kind=kind, sentiment=sentiment)

    def background(self) -> Post:
        """An everyday post: weather, traffic, food, events, services."""
        _, sentiment, sentences = self.rng.choice(BACKGROUND)
        fixed = {"district": self.rng.choice(sorted(self.regions))}
        return self._compose(sentences, fixed, "background", sentiment)

    def burst(self, key: str) -> Post:
        """A post about one of the injected stories, in that story's place."""
        kind = BURSTS[key]
        return self._compose(kind.sentences, self.burst_places[key], key, kind.sentiment)

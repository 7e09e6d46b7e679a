"""The demo city's departments: fictional units with the names and short forms Chinese offices use."""

from __future__ import annotations

# (code, full name, aliases, parent code, region code)
DEPARTMENTS: list[tuple[str, str, list[str], str | None, str | None]] = [
    ("WXB", "市委网络安全和信息化委员会办公室", ["市委网信办", "市网信办", "网信办"], None, "371500"),
    ("DSJ", "市大数据局", ["大数据局", "市数据局"], None, "371500"),
    ("RX12345", "市12345政务服务便民热线中心", ["12345热线", "市民热线中心", "热线中心"], "DSJ", "371500"),
    ("JXW", "市经济和信息化委员会", ["市经信委", "经信委"], None, "371500"),
    ("GAJ", "市公安局", ["公安局"], None, "371500"),
    ("WAZD", "市公安局网络安全保卫支队", ["网安支队", "市网安支队"], "GAJ", "371500"),
    ("SCJG", "市市场监督管理局", ["市市场监管局", "市场监管局"], None, "371500"),
    ("ZJJ", "市住房和城乡建设局", ["市住建局", "住建局"], None, "371500"),
    ("JTJ", "市交通运输局", ["市交通局", "交通局"], None, "371500"),
    ("JYJ", "市教育局", ["教育局"], None, "371500"),
    ("WJW", "市卫生健康委员会", ["市卫健委", "卫健委"], None, "371500"),
    ("HBJ", "市生态环境局", ["市环保局", "生态环境局"], None, "371500"),
    ("CGJ", "市城市管理局", ["市城管局", "城管局"], None, "371500"),
    ("RSJ", "市人力资源和社会保障局", ["市人社局", "人社局"], None, "371500"),
    ("WLJ", "市文化和旅游局", ["市文旅局", "文旅局"], None, "371500"),
    ("YJJ", "市应急管理局", ["市应急局", "应急局"], None, "371500"),
    ("DCF", "东昌府区人民政府", ["东昌府区政府"], None, "371502"),
    ("DCF-GBJ", "东昌府区古楼街道办事处", ["古楼街道"], "DCF", "371502"),
    ("LQ", "临清市人民政府", ["临清市政府"], None, "371581"),
    ("GX", "冠县人民政府", ["冠县政府"], None, "371525"),
]

# (username, display name, roles, department code)
USERS: list[tuple[str, str, list[str], str]] = [
    ("admin", "系统管理员", ["admin"], "WXB"),
    ("analyst", "舆情分析员", ["analyst"], "WXB"),
    ("dispatcher", "热线派单员", ["dispatcher"], "RX12345"),
    ("handler", "住建承办员", ["handler"], "ZJJ"),
    ("handler2", "古楼街道承办员", ["handler"], "DCF-GBJ"),
    ("supervisor", "督查督办员", ["supervisor"], "DSJ"),
    ("leader", "分管领导", ["leader"], "WXB"),
]

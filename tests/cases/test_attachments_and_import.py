import io
import re

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from minsheng.cases import service
from minsheng.cases.attachments import AttachmentRefused, add_attachment, clean_filename, storage_path
from minsheng.cases.models import Case, CaseAttachment
from minsheng.cases.schemas import CaseSubmit, ContactIn
from tests.factories import csrf_from, detach, login, read_now

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


@pytest.fixture
def case(session, settings, world):
    found = service.submit(
        session,
        data=CaseSubmit(
            type_code="complaint",
            description="小区门口道路破损严重，雨天积水",
            contact=ContactIn(name="张三", phone="13912345678"),
        ),
        settings=settings,
        engine=world.engine,
    ).case
    session.commit()
    return found


def test_files_are_checked_by_content_and_stored_by_digest(session, settings, case):
    stored = add_attachment(
        session, case=case, filename="../../etc/现场.png", content=PNG, settings=settings, user_id=None
    )
    assert stored.filename == "现场.png" and stored.content_type == "image/png"
    assert storage_path(settings, stored.sha256).read_bytes() == PNG
    with pytest.raises(AttachmentRefused, match="只接受"):
        add_attachment(
            session,
            case=case,
            filename="a.png",
            content=b"MZ\x90\x00 not an image",
            settings=settings,
            user_id=None,
        )
    with pytest.raises(AttachmentRefused, match="空文件"):
        add_attachment(session, case=case, filename="a.txt", content=b"", settings=settings, user_id=None)
    big = b"%PDF-" + b"0" * (settings.case_attachment_mb * 1024 * 1024)
    with pytest.raises(AttachmentRefused, match="不能超过"):
        add_attachment(session, case=case, filename="a.pdf", content=big, settings=settings, user_id=None)
    assert clean_filename('a<b>:"c".docx') == "a_b___c_.docx"


def test_staff_upload_and_download_with_audit(client, session, settings, world, case):
    case_id = case.id
    detach(session, world.dispatcher)
    login(client, world.dispatcher.username)
    token = csrf_from(client, f"/cases/{case_id}")
    files = [("files", ("现场照片.png", PNG, "image/png"))]
    assert (
        client.post(
            f"/cases/{case_id}/attachments", data={"csrf_token": token}, files=files, follow_redirects=False
        ).status_code
        == 303
    )
    refused = client.post(
        f"/cases/{case_id}/attachments",
        data={"csrf_token": token},
        files=[("files", ("x.exe", b"MZ....", "application/octet-stream"))],
    )
    assert refused.status_code == 422 and "只接受" in refused.text
    page = client.get(f"/cases/{case_id}")
    link = re.search(rf'href="(/cases/{case_id}/attachments/\d+)"', page.text).group(1)
    download = client.get(link)
    assert download.content == PNG and download.headers["content-disposition"].startswith("attachment")
    assert read_now(session, select(func.count()).select_from(CaseAttachment)) == 1


def test_public_report_with_an_attachment(client, session, world):
    token = csrf_from(client, "/report/complaint")
    response = client.post(
        "/report/complaint",
        data={
            "csrf_token": token,
            "description": "路灯不亮已经一个月了，晚上很危险",
            "name": "李四",
            "phone": "13800000000",
        },
        files=[("files", ("photo.png", PNG, "image/png"))],
    )
    assert response.status_code == 201
    assert read_now(session, select(func.count()).select_from(CaseAttachment)) == 1
    too_many = client.post(
        "/report/complaint",
        data={
            "csrf_token": token,
            "description": "路灯不亮已经一个月了，晚上很危险",
            "name": "李四",
            "phone": "13800000000",
        },
        files=[("files", (f"p{i}.png", PNG, "image/png")) for i in range(4)],
    )
    assert too_many.status_code == 422 and "最多上传 3 个" in too_many.text


def test_import_keeps_good_rows_and_reports_bad_ones(client, session, world):
    detach(session, world.dispatcher)
    login(client, world.dispatcher.username)
    book = Workbook()
    sheet = book.active
    sheet.append(["类型", "内容", "地点", "姓名", "电话", "外部编号"])
    sheet.append(["投诉", "小区物业乱收费，请住建部门查处", "东昌府区", "王五", "13900000001", "call-1"])
    sheet.append(["complaint", "短", "", "王五", "13900000001", "call-2"])
    sheet.append(["求助", "家中老人走失，请求帮助寻找", "", "", "", "call-3"])
    sheet.append(["建议", "建议增加公交线路覆盖新区", "", "赵六", "0635-8123456", "call-4"])
    buffer = io.BytesIO()
    book.save(buffer)
    token = csrf_from(client, "/cases/import")
    response = client.post(
        "/cases/import",
        data={"csrf_token": token},
        files=[("file", ("calls.xlsx", buffer.getvalue(), "application/octet-stream"))],
    )
    assert response.status_code == 200
    assert "已导入 2 条" in response.text and "至少 5 个字" in response.text and "请填写姓名" in response.text
    assert read_now(session, select(func.count()).select_from(Case)) == 2
    again = client.post(
        "/cases/import",
        data={"csrf_token": token},
        files=[("file", ("calls.xlsx", buffer.getvalue(), "application/octet-stream"))],
    )
    assert "已提交过" in again.text
    assert read_now(session, select(func.count()).select_from(Case)) == 2
    gbk = "类型,内容,姓名,电话\n投诉,噪音扰民严重影响休息,孙七,13900000009\n".encode("gbk")
    csv_response = client.post(
        "/cases/import", data={"csrf_token": token}, files=[("file", ("calls.csv", gbk, "text/csv"))]
    )
    assert "已导入 1 条" in csv_response.text
    bad = client.post(
        "/cases/import",
        data={"csrf_token": token},
        files=[("file", ("calls.csv", "名字\n张三\n".encode(), "text/csv"))],
    )
    assert bad.status_code == 422 and "缺少必需的列" in bad.text

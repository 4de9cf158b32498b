"""The IMAP side of inbound mail, against a real Dovecot (tests/service/imap_server.py).

Messages are built with the stdlib's `email` package the way mailers build
them, or byte by byte where a Chinese mailer breaks the rules the stdlib keeps.
"""

import base64
import socket
import struct
import zlib
from datetime import UTC, datetime, timedelta, timezone
from email.message import EmailMessage
from email.mime.application import MIMEApplication
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime
from urllib.parse import quote

import pytest

from manyi.service.mailbox import (
    ImapMailbox,
    MailboxError,
    imap_utf7,
    mailbox_from_url,
    parse_message,
)
from tests.service.conftest import CHINESE_PASSWORD, CHINESE_USER

BEIJING = timezone(timedelta(hours=8))


def _box(server, **kwargs) -> ImapMailbox:
    options = {"host": server.host, "port": server.port, "user": server.user, "password": server.password}
    return ImapMailbox(**{**options, "timeout": 10, **kwargs})


def _word(text: str, label: str, codec: str | None = None) -> str:
    """An RFC 2047 B-encoded word labelled `label`, its bytes in `codec`
    (by default the label's own)."""
    return f"=?{label}?B?{base64.b64encode(text.encode(codec or label)).decode()}?="


def _png() -> bytes:
    """A valid 1x1 red PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


def _only(server) -> object:
    with _box(server) as box:
        mails = box.unseen()
    assert len(mails) == 1
    return mails[0]


# --- through the server ------------------------------------------------------


def test_utf8_plain_mail(inbox):
    msg = EmailMessage()
    msg["From"] = "张伟 <Zhang.Wei@Example.COM>"
    msg["To"] = "support@manyi.test"
    msg["Subject"] = "订单 #1024 迟迟未到，非常失望"
    msg["Message-ID"] = "<order-1024@mail.example.com>"
    msg["Date"] = format_datetime(datetime(2024, 5, 6, 9, 30, tzinfo=BEIJING))
    msg.set_content("你好：\n\n我 4 月 28 日下的订单到现在还没发货，客服电话也打不通。\n\n张伟\n")
    uid = inbox.append(msg.as_bytes())

    mail = _only(inbox)

    assert mail.uid == uid != ""
    assert mail.message_id == "order-1024@mail.example.com"
    assert mail.in_reply_to == ""
    assert mail.from_name == "张伟"
    assert mail.from_address == "zhang.wei@example.com"
    assert mail.subject == "订单 #1024 迟迟未到，非常失望"
    assert mail.text == "你好：\n\n我 4 月 28 日下的订单到现在还没发货，客服电话也打不通。\n\n张伟"
    assert mail.attachments == ()
    assert mail.received_at == datetime(2024, 5, 6, 1, 30, tzinfo=UTC)
    assert mail.received_at.utcoffset() == timedelta(hours=8)


def test_gbk_mail_with_gb2312_subject_and_chinese_name(inbox):
    # 镕 is in GBK but not in GB2312: a mailer that labels GBK text "gb2312"
    # must still be read whole.
    body = "您好，我买的冰箱不制冷，已经报修三次了。朱镕基小区 3 栋。"
    msg = MIMEText(body, "plain", "gbk")
    msg["Subject"] = _word("投诉：冰箱不制冷", "GB2312")
    msg["From"] = f'"{_word("李镕", "GB2312", "gbk")}" <li.rong@163.COM>'
    msg["Message-ID"] = "<20240506093000.1234@163.com>"
    raw = msg.as_bytes()
    assert "冰箱".encode("gbk") not in raw  # base64: nothing readable on the wire
    inbox.append(raw)

    mail = _only(inbox)

    assert mail.subject == "投诉：冰箱不制冷"
    assert mail.from_name == "李镕"
    assert mail.from_address == "li.rong@163.com"
    assert mail.text == body


def test_html_only_mail(inbox):
    markup = """<!DOCTYPE html><html><head><title>通知</title>
    <style>p { color: red }</style><script>alert("不该出现")</script></head>
    <body><div>客服您好&#xff0c;</div>
    <p>发票金额   &lt;&nbsp;订单金额 &amp; 多收了 <b>200</b> 元。</p>
    <script type="text/javascript">document.write("也不该出现")</script>
    <table><tr><td>订单号</td><td>A-1</td></tr></table>
    </body></html>"""
    msg = EmailMessage()
    msg["From"] = "wang@example.cn"
    msg["Subject"] = "多收费"
    msg.set_content(markup, subtype="html")
    inbox.append(msg.as_bytes())

    mail = _only(inbox)

    assert mail.from_name == ""
    assert mail.from_address == "wang@example.cn"
    assert mail.text == "客服您好，\n\n发票金额 < 订单金额 & 多收了 200 元。\n\n订单号 A-1"
    assert "出现" not in mail.text
    assert "color" not in mail.text
    assert "通知" not in mail.text


def test_reply_drops_the_quoted_mail(inbox):
    msg = EmailMessage()
    msg["From"] = "Li Lei <li@example.com>"
    msg["Subject"] = "Re: [投诉 #42] 冰箱不制冷"
    msg["Message-ID"] = "<reply-2@example.com>"
    msg["In-Reply-To"] = "<complaint-42@manyi.test>"
    msg["References"] = "<first@example.com> <complaint-42@manyi.test>"
    msg.set_content(
        "Still broken, please send someone today.\n"
        "> an inline quote in the middle goes too\n"
        "Thanks.\n"
        "\n"
        "On Mon, 6 May 2024 at 10:00, Manyi Support <support@manyi.test>\n"
        "wrote:\n"
        "> We are sorry to hear that.\n"
        "> A technician will call you.\n"
    )
    inbox.append(msg.as_bytes())

    mail = _only(inbox)

    assert mail.message_id == "reply-2@example.com"
    assert mail.in_reply_to == "complaint-42@manyi.test"
    assert mail.text == "Still broken, please send someone today.\nThanks."


def test_attachment(inbox):
    png = _png()
    msg = EmailMessage()
    msg["From"] = "赵敏 <zhao@example.com>"
    msg["Subject"] = "破损照片"
    msg.set_content("照片见附件。")
    msg.add_alternative("<p>照片见<b>附件</b>。</p>", subtype="html")
    msg.add_attachment(png, maintype="image", subtype="png", filename="箱子破损.png")
    msg.add_attachment(b"%PDF-1.4 fake", maintype="application", subtype="pdf", filename="invoice.pdf")
    inbox.append(msg.as_bytes())

    mail = _only(inbox)

    assert mail.text == "照片见附件。"  # the plain alternative, not the HTML one
    assert [(a.filename, a.content_type) for a in mail.attachments] == [
        ("箱子破损.png", "image/png"),
        ("invoice.pdf", "application/pdf"),
    ]
    assert mail.attachments[0].data == png
    assert mail.attachments[1].data == b"%PDF-1.4 fake"


def _flags(server, uid: str) -> bytes:
    with server.imap() as imap:
        imap.select("INBOX", readonly=True)
        status, data = imap.uid("FETCH", uid, "(FLAGS)")
    assert status == "OK"
    return data[0]


def test_unseen_peeks_and_mark_seen_hides(inbox):
    uids = []
    for n in range(3):
        msg = EmailMessage()
        msg["From"] = f"customer{n}@example.com"
        msg["Subject"] = f"第 {n} 封"
        msg.set_content(f"内容 {n}")
        uids.append(inbox.append(msg.as_bytes()))

    with _box(inbox) as box:
        first = box.unseen()
        assert [m.uid for m in first] == uids
        assert [m.subject for m in first] == ["第 0 封", "第 1 封", "第 2 封"]
        # Fetching is a peek: nothing became seen.
        assert [m.uid for m in box.unseen()] == uids
        assert b"\\Seen" not in _flags(inbox, uids[0])
        assert [m.uid for m in box.unseen(limit=2)] == uids[:2]

        box.mark_seen(uids[1])

        assert b"\\Seen" in _flags(inbox, uids[1])
        assert [m.uid for m in box.unseen()] == [uids[0], uids[2]]

    # Another session sees the same state.
    with _box(inbox) as box:
        assert [m.uid for m in box.unseen()] == [uids[0], uids[2]]
        box.mark_seen(uids[0])
        box.mark_seen(uids[2])
        assert box.unseen() == []


def test_an_empty_folder_has_nothing_unseen(inbox):
    with _box(inbox) as box:
        assert box.unseen() == []


def test_wrong_password(inbox):
    box = _box(inbox, password="wrong")
    with pytest.raises(MailboxError) as caught:
        box.__enter__()
    message = str(caught.value)
    assert f"127.0.0.1:{inbox.port}" in message
    assert "login" in message
    assert inbox.user in message
    assert "wrong" not in message


def test_nobody_listening():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again before the mailbox tries it
    box = ImapMailbox(host="127.0.0.1", port=port, user="u", password="p", timeout=5)
    with pytest.raises(MailboxError, match=rf"cannot connect to the imap server 127\.0\.0\.1:{port}"):
        box.__enter__()


def test_tls_to_a_plain_server(inbox):
    box = _box(inbox, use_ssl=True, timeout=5)
    with pytest.raises(MailboxError, match=rf"cannot connect to the imaps server 127\.0\.0\.1:{inbox.port}"):
        box.__enter__()


def test_missing_folder(inbox):
    with pytest.raises(MailboxError, match=rf"cannot open folder '投诉' as .* 127\.0\.0\.1:{inbox.port}"):
        _box(inbox, folder="投诉").__enter__()


def test_chinese_folder(inbox):
    with inbox.imap() as imap:
        imap.create('"&YpWLyQ-"')  # 投诉, in IMAP's modified UTF-7
    try:
        msg = EmailMessage()
        msg["From"] = "a@example.com"
        msg["Subject"] = "分到投诉文件夹"
        msg.set_content("x")
        inbox.append(msg.as_bytes(), folder='"&YpWLyQ-"')
        with _box(inbox, folder="投诉") as box:
            assert [m.subject for m in box.unseen()] == ["分到投诉文件夹"]
    finally:
        with inbox.imap() as imap:
            imap.delete('"&YpWLyQ-"')


def test_commands_need_a_session(imap_server):
    box = _box(imap_server)
    with pytest.raises(MailboxError, match="not connected"):
        box.unseen()
    with box:
        pass
    with pytest.raises(MailboxError, match="not connected"):
        box.mark_seen("1")


def test_mark_seen_wants_a_uid(inbox):
    with _box(inbox) as box, pytest.raises(ValueError, match="not an IMAP UID"):
        box.mark_seen("1:*")


def test_url_with_a_chinese_password(inbox):
    """The URL's user and password are percent-decoded; a password that is
    not ASCII logs in through AUTHENTICATE PLAIN."""
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "给客服"
    msg.set_content("x")
    inbox.append(msg.as_bytes(), user=CHINESE_USER, password=CHINESE_PASSWORD)
    url = f"imap://{quote(CHINESE_USER, safe='')}:{quote(CHINESE_PASSWORD, safe='')}@127.0.0.1:{inbox.port}/INBOX"

    box = mailbox_from_url(url)

    assert (box.user, box.password) == (CHINESE_USER, CHINESE_PASSWORD)
    with box:
        assert [m.subject for m in box.unseen()] == ["给客服"]


def test_url_with_the_separators_in_the_password(inbox):
    msg = EmailMessage()
    msg["From"] = "a@example.com"
    msg["Subject"] = "hello"
    msg.set_content("x")
    inbox.append(msg.as_bytes())
    assert ":" in inbox.password and "@" in inbox.password and "%" in inbox.password
    url = f"imap://{quote(inbox.user, safe='')}:{quote(inbox.password, safe='')}@127.0.0.1:{inbox.port}"

    with mailbox_from_url(url) as box:
        assert [m.subject for m in box.unseen()] == ["hello"]


# --- mailbox_from_url --------------------------------------------------------


def test_url_imap():
    box = mailbox_from_url("imap://support%40example.com:p%40ss%3Aw%2Frd@mail.example.com:1143/INBOX")
    assert (box.host, box.port, box.user, box.password, box.use_ssl, box.folder) == (
        "mail.example.com",
        1143,
        "support@example.com",
        "p@ss:w/rd",
        False,
        "INBOX",
    )
    assert "p@ss" not in repr(box)


def test_url_defaults():
    box = mailbox_from_url("imap://kf:secret@mail.example.com")
    assert (box.port, box.use_ssl, box.folder) == (143, False, "INBOX")
    box = mailbox_from_url("IMAPS://kf:secret@imap.exmail.qq.com/")
    assert (box.host, box.port, box.use_ssl, box.folder) == ("imap.exmail.qq.com", 993, True, "INBOX")


def test_url_folder_is_percent_decoded():
    box = mailbox_from_url("imaps://kf:secret@imap.163.com:993/%E6%8A%95%E8%AF%89/2024")
    assert box.folder == "投诉/2024"


def test_url_an_at_sign_left_unencoded_in_the_user():
    box = mailbox_from_url("imap://kf@example.com:secret@[::1]:143/INBOX")
    assert (box.user, box.password, box.host) == ("kf@example.com", "secret", "::1")


@pytest.mark.parametrize(
    ("url", "complaint"),
    [
        ("pop3://kf:secret@mail.example.com/INBOX", "imap:// or imaps://"),
        ("https://kf:secret@mail.example.com/", "imap:// or imaps://"),
        ("mail.example.com", "imap:// or imaps://"),
        ("", "imap:// or imaps://"),
        ("imap://kf:secret@/INBOX", "no host"),
        ("imap://mail.example.com/INBOX", "needs a user and a password"),
        ("imap://kf@mail.example.com/INBOX", "needs a user and a password"),
        ("imap://:secret@mail.example.com/INBOX", "empty user"),
        ("imap://kf:secret@mail.example.com:99999/INBOX", "bad port"),
        ("imap://kf:secret@mail.example.com:abc/INBOX", "bad port"),
        ("imap://kf:secret@mail.example.com/INBOX?ssl=1", "query"),
    ],
)
def test_url_rejected(url, complaint):
    with pytest.raises(ValueError, match=complaint) as caught:
        mailbox_from_url(url)
    assert "secret" not in str(caught.value)


# --- parsing what Chinese mailers send ---------------------------------------


def test_raw_8bit_gbk_headers_and_body_without_charset():
    raw = (
        "From: 王芳 <Wang.Fang@Example.cn>\r\n"
        "Subject: 退款 还没到账\r\n"
        "Date: Mon, 6 May 2024 09:30:00 +0800\r\n"
        "Content-Type: text/plain\r\n"
        "\r\n"
        "申请退款两周了，钱还没到账。\r\n"
    ).encode("gbk")
    mail = parse_message(raw, uid="7")
    assert (mail.uid, mail.from_name, mail.from_address) == ("7", "王芳", "wang.fang@example.cn")
    assert mail.subject == "退款 还没到账"
    assert mail.text == "申请退款两周了，钱还没到账。"


def test_raw_8bit_utf8_headers():
    raw = "From: 王芳 <w@example.cn>\r\nSubject: 退款\r\n\r\n还没到账\r\n".encode()
    mail = parse_message(raw)
    assert (mail.from_name, mail.subject, mail.text) == ("王芳", "退款", "还没到账")


def test_a_character_split_across_encoded_words():
    data = "空调漏水".encode("gbk")
    first, second = base64.b64encode(data[:3]).decode(), base64.b64encode(data[3:]).decode()
    raw = f"Subject: =?GBK?B?{first}?=\r\n =?GBK?B?{second}?=\r\nFrom: a@b.cn\r\n\r\nx\r\n".encode()
    assert parse_message(raw).subject == "空调漏水"


def test_encoded_words_in_several_charsets():
    subject = f"{_word('回复：', 'UTF-8')} {_word('发票', 'GB18030')} request"
    raw = f"Subject: {subject}\r\nFrom: a@b.cn\r\n\r\nx\r\n".encode()
    assert parse_message(raw).subject == "回复：发票 request"


def test_q_encoded_subject():
    raw = b"Subject: =?utf-8?Q?=E9=80=80=E8=B4=A7_please?=\r\nFrom: a@b.cn\r\n\r\nx\r\n"
    assert parse_message(raw).subject == "退货 please"


def test_a_wrong_charset_label_falls_back_to_gb18030():
    raw = b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + "质量太差".encode("gbk")
    assert parse_message(raw).text == "质量太差"


def test_undecodable_bytes_are_replaced():
    raw = b"From: a@b.cn\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nok \xff\xfe\xff"
    assert parse_message(raw).text.startswith("ok ")


def test_gbk_attachment_name_from_outlook():
    """Outlook and Foxmail put RFC 2047 words inside the quoted filename."""
    msg = MIMEMultipart()
    msg["From"] = "a@b.cn"
    msg.attach(MIMEText("见附件", "plain", "utf-8"))
    part = MIMEApplication(b"PK\x03\x04", "zip")
    part.add_header("Content-Disposition", "attachment", filename=_word("发票.zip", "GBK"))
    msg.attach(part)
    mail = parse_message(msg.as_bytes())
    assert mail.text == "见附件"
    assert [(a.filename, a.content_type, a.data) for a in mail.attachments] == [
        ("发票.zip", "application/zip", b"PK\x03\x04")
    ]


def test_rfc2231_attachment_name_in_gbk():
    msg = MIMEMultipart()
    msg["From"] = "a@b.cn"
    msg.attach(MIMEText("x", "plain", "utf-8"))
    part = MIMEApplication(b"data", "octet-stream")
    part.add_header("Content-Disposition", "attachment", filename=("gbk", "", "合同 v2.doc"))
    msg.attach(part)
    assert [a.filename for a in parse_message(msg.as_bytes()).attachments] == ["合同 v2.doc"]


def test_an_unnamed_attachment_gets_a_name():
    msg = MIMEMultipart()
    msg["From"] = "a@b.cn"
    msg.attach(MIMEText("x", "plain", "utf-8"))
    msg.attach(MIMEApplication(b"%PDF-1.4", "pdf"))
    assert [a.filename for a in parse_message(msg.as_bytes()).attachments] == ["attachment-1.pdf"]


def test_a_forwarded_mail_is_read_with_its_attachments():
    inner = EmailMessage()
    inner["From"] = "customer@example.cn"
    inner["Subject"] = "太慢了"
    inner.set_content("客户原话：三周还没发货。")
    inner.add_attachment(b"GIF89a", maintype="image", subtype="gif", filename="单据.gif")
    outer = EmailMessage()
    outer["From"] = "rep@manyi.test"
    outer["Subject"] = "Fwd: 太慢了"
    outer.set_content("转给客服处理。")
    outer.add_attachment(inner)
    mail = parse_message(outer.as_bytes())
    assert mail.from_address == "rep@manyi.test"
    assert mail.text == "转给客服处理。\n\n客户原话：三周还没发货。"
    assert [(a.filename, a.data) for a in mail.attachments] == [("单据.gif", b"GIF89a")]


@pytest.mark.parametrize(
    "quote_block",
    [
        "在 2024年5月6日 周一 10:00，满意客服 <support@manyi.test> 写道：\n> 您好，已为您登记。",
        "2024年5月6日 上午10:00，满意客服 <support@manyi.test> 写道:\n\n> 您好，已为您登记。",
        (
            "------------------ 原始邮件 ------------------\n发件人: \"满意客服\"<support@manyi.test>;\n"
            "发送时间: 2024年5月6日(星期一) 上午10:00\n收件人: \"我\"<me@qq.com>;\n\n您好，已为您登记。"
        ),
        "-----Original Message-----\nFrom: Manyi Support\nSent: Monday, May 6, 2024 10:00 AM\n\n您好，已为您登记。",
        "发件人: 满意客服 <support@manyi.test>\n发送时间: 2024年5月6日 10:00\n收件人: me@example.com\n主题: 投诉\n\n您好。",
        "From: Manyi Support <support@manyi.test>\nDate: Monday, May 6, 2024\nTo: me\n\nHello.",
        "On 2024-05-06 10:00, support@manyi.test wrote:\n> Hello.",
    ],
)
def test_reply_styles(quote_block):
    body = f"还是没修好，请尽快上门。\n\n{quote_block}\n"
    raw = MIMEText(body, "plain", "utf-8").as_bytes()
    assert parse_message(b"From: a@b.cn\r\n" + raw).text == "还是没修好，请尽快上门。"


def test_html_reply_drops_the_blockquote():
    markup = (
        '<div dir="ltr">还是不行。</div><br><div class="gmail_quote"><div>'
        "On Mon, May 6, 2024 at 10:00 AM Support &lt;support@manyi.test&gt; wrote:</div>"
        "<blockquote>已为您登记<blockquote>更早的</blockquote></blockquote></div>"
    )
    raw = b"From: a@b.cn\r\n" + MIMEText(markup, "html", "utf-8").as_bytes()
    assert parse_message(raw).text == "还是不行。"


def test_a_plain_line_mentioning_wrote_stays():
    raw = b"From: a@b.cn\r\n" + MIMEText("My neighbour wrote: it broke too.\nPlease help.", "plain", "utf-8").as_bytes()
    assert parse_message(raw).text == "My neighbour wrote: it broke too.\nPlease help."


def test_references_when_in_reply_to_is_missing():
    raw = b"From: a@b.cn\r\nReferences: <one@x.cn>\r\n <two@x.cn>\r\nMessage-ID: <three@x.cn>\r\n\r\nx"
    mail = parse_message(raw)
    assert (mail.message_id, mail.in_reply_to) == ("three@x.cn", "two@x.cn")


def test_no_date_no_ids():
    before = datetime.now(UTC)
    mail = parse_message(b"From: a@b.cn\r\n\r\nx")
    assert (mail.message_id, mail.in_reply_to, mail.subject) == ("", "", "")
    assert before <= mail.received_at <= datetime.now(UTC)
    assert parse_message(b"Date: not a date\r\n\r\nx").received_at.tzinfo is not None


def test_a_date_without_a_zone_is_utc():
    mail = parse_message(b"Date: Mon, 6 May 2024 09:30:00 -0000\r\n\r\nx")
    assert mail.received_at == datetime(2024, 5, 6, 9, 30, tzinfo=UTC)


def test_garbage_does_not_raise():
    mail = parse_message(b"\x00\xff garbage without headers")
    assert mail.from_address == ""


def test_imap_utf7_rfc3501_example():
    assert imap_utf7("~peter/mail/台北/日本語") == "~peter/mail/&U,BTFw-/&ZeVnLIqe-"
    assert imap_utf7("A&B") == "A&-B"
    assert imap_utf7("INBOX") == "INBOX"


def test_imap_utf7_as_dovecot_reads_it(inbox):
    """A folder created under the encoded name is the one Dovecot's own
    doveadm lists under the Chinese name."""
    name = "客户投诉/2024 & 退款"
    with inbox.imap() as imap:
        assert imap.create(f'"{imap_utf7(name)}"')[0] == "OK"
    try:
        assert name in inbox.doveadm("mailbox", "list", "-u", inbox.user).splitlines()
    finally:
        with inbox.imap() as imap:
            imap.delete(f'"{imap_utf7(name)}"')

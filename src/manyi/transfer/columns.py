"""What can be imported, column by column: each field's parser, and the
headers (Chinese and English, as exports from other systems write them)
that suggest it."""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from functools import lru_cache

from django.db import models
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from manyi.analytics.models import OrderChannel, OrderStatus
from manyi.core.text import normalize_text
from manyi.customers.models import (
    Category,
    Contact,
    Customer,
    Depth,
    Gender,
    Importance,
    Influence,
    Kind,
    MaritalStatus,
    SocialStyle,
    Temperament,
)
from manyi.interactions.models import Channel, Direction, Interaction, InteractionKind
from manyi.transfer import fields as parse
from manyi.transfer.models import ImportKind


@dataclass(frozen=True)
class Column:
    name: str
    label: str
    parser: parse.Parser
    aliases: tuple[str, ...] = ()
    required: bool = False


def header_key(header: str) -> str:
    """A header without width, case, spaces, punctuation, marks such as * or
    (必填), or Traditional forms: 「客戶名稱*」 and 「客户名称（必填）」 are one key."""
    from manyi.core.text import _T2S

    text = re.sub(r"[（(][^)）]*[)）]", "", normalize_text(str(header)).lower())
    return re.sub(r"[^0-9a-z\u3400-\u9fff]", "", _T2S.convert(text))


def _labels(choices: type[models.TextChoices]) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for language in ("en", "zh-hans"):
        with translation.override(language):
            for value, label in choices.choices:
                out.setdefault(value, []).append(str(label))
    return out


def _choice(choices: type[models.TextChoices], **extra: str) -> parse.Parser:
    return parse.choice(parse.spellings(choices.choices, _labels(choices), extra))


def _char(model, name: str) -> parse.Parser:
    return parse.line(model._meta.get_field(name).max_length)


def _money(model, name: str) -> parse.Parser:
    f = model._meta.get_field(name)
    return parse.decimal(f.max_digits, f.decimal_places)


def _col(model, name: str, parser: parse.Parser, *aliases: str, required: bool = False) -> Column:
    return Column(name, model._meta.get_field(name).verbose_name, parser, aliases, required)


CUSTOMER_REF = (
    "客户", "客户名称", "客户名", "公司", "公司名称", "企业名称", "单位", "单位名称", "所属客户", "所属公司",
    "customer", "customername", "company", "companyname", "account", "accountname", "organization", "org",
)  # fmt: skip
CREDIT_REF = ("统一社会信用代码", "信用代码", "社会信用代码", "税号", "creditcode", "uscc", "taxid")


def _customer_columns() -> list[Column]:
    C = Customer
    return [
        _col(C, "name", _char(C, "name"), "客户名称", "客户名", "名称", "公司名称", "公司", "企业名称", "单位名称", "姓名", "客户",
             "company", "companyname", "customer", "customername", "name", "account", "accountname", required=True),
        _col(C, "kind", _choice(Kind, 企业="enterprise", 公司="enterprise", 单位="enterprise", 个人="individual", person="individual",
                                company="enterprise", b2b="enterprise", b2c="individual"),
             "客户类型", "类型", "客户性质", "kind", "type", "customertype"),
        _col(C, "category", _choice(Category, 消费者客户="consumer", 客户="consumer", 代理商="agent", 经销商="agent", distributor="agent",
                                    其他="other", 内部="internal", 供应商客户="supplier"),
             "客户分类", "分类", "客户类别", "类别", "category"),
        _col(C, "importance", _choice(Importance, 关键="key", 主要="major", 普通="ordinary", 小="small", 一般="ordinary", 重要="major",
                                      vip="key"), "重要程度", "重要性", "客户重要性", "importance", "priority"),
        _col(C, "grade", parse.choice({g: g for g in "ABCD"} | {f"{g.lower()}": g for g in "ABCD"} | {f"{g.lower()}类": g for g in "ABCD"}
                                      | {f"{g.lower()}级": g for g in "ABCD"}),
             "等级", "客户等级", "级别", "客户级别", "grade", "level", "rating", "tier"),
        _col(C, "depth", _choice(Depth, 认知="awareness", 接触="contact", 满意="satisfaction", 忠诚="loyalty"),
             "关系深度", "关系层次", "关系", "depth", "relationship"),
        _col(C, "mobile", parse.phone, "手机", "手机号", "手机号码", "移动电话", "mobile", "cell", "cellphone", "mobilephone", "mobileno"),
        _col(C, "phone", parse.phone, "电话", "固话", "座机", "联系电话", "办公电话", "电话号码", "公司电话", "phone", "tel", "telephone",
             "officephone", "phoneno"),
        _col(C, "fax", parse.phone, "传真", "传真号", "fax"),
        _col(C, "email", parse.email, "邮箱", "电子邮箱", "电子邮件", "邮件", "email", "mail", "emailaddress"),
        _col(C, "wechat", _char(C, "wechat"), "微信", "微信号", "wechat", "weixin"),
        _col(C, "website", parse.url, "网站", "网址", "主页", "官网", "website", "web", "url", "homepage"),
        _col(C, "province", _char(C, "province"), "省份", "省", "所在省份", "所在地区", "province", "state", "region"),
        _col(C, "city", _char(C, "city"), "城市", "市", "所在城市", "city"),
        _col(C, "address", _char(C, "address"), "地址", "详细地址", "联系地址", "公司地址", "通讯地址", "办公地址", "address", "street"),
        _col(C, "postal_code", _char(C, "postal_code"), "邮编", "邮政编码", "postcode", "postalcode", "zip", "zipcode"),
        _col(C, "credit_code", parse.credit_code, *CREDIT_REF),
        _col(C, "enterprise_type", _char(C, "enterprise_type"), "企业类型", "公司类型", "enterprisetype", "companytype"),
        _col(C, "ownership", _char(C, "ownership"), "企业性质", "性质", "所有制", "ownership"),
        _col(C, "industry", _char(C, "industry"), "行业", "所属行业", "行业类别", "industry", "sector"),
        _col(C, "registered_capital", _money(C, "registered_capital"), "注册资本", "注册资本万元", "registeredcapital"),
        _col(C, "market_value", _money(C, "market_value"), "市值", "市场价值", "marketvalue"),
        _col(C, "employee_count", parse.whole(), "员工人数", "人数", "员工数", "职工人数", "employees", "employeecount", "headcount"),
        _col(C, "leader_name", _char(C, "leader_name"), "法人", "法定代表人", "法人代表", "主要负责人", "老板", "leader", "legalrepresentative"),
        _col(C, "leader_background", parse.free_text(), "负责人背景", "leaderbackground"),
        _col(C, "marketing_head", _char(C, "marketing_head"), "营销负责人", "市场负责人", "marketinghead"),
        _col(C, "purchasing_head", _char(C, "purchasing_head"), "采购负责人", "purchasinghead"),
        _col(C, "annual_sales", _money(C, "annual_sales"), "年销售额", "销售额", "annualsales", "revenue"),
        _col(C, "business_volume", _money(C, "business_volume"), "交易额", "与本企业交易额", "年交易额", "businessvolume"),
        _col(C, "gender", _choice(Gender, 男性="male", 女性="female", m="male", f="female"), "性别", "gender", "sex"),
        _col(C, "birthday", parse.date, "生日", "出生日期", "出生年月日", "birthday", "birthdate", "dateofbirth", "dob"),
        _col(C, "marital_status", _choice(MaritalStatus, 单身="single", 离婚="divorced"), "婚姻状况", "婚姻", "maritalstatus"),
        _col(C, "family_notes", parse.free_text(), "家庭", "家庭情况", "family"),
        _col(C, "occupation", _char(C, "occupation"), "职业", "occupation"),
        _col(C, "position", _char(C, "position"), "职务", "职位", "position"),
        _col(C, "professional_title", _char(C, "professional_title"), "职称", "professionaltitle"),
        _col(C, "income_level", _char(C, "income_level"), "收入", "收入水平", "income"),
        _col(C, "education", _char(C, "education"), "学历", "教育", "education"),
        _col(C, "resume", parse.free_text(), "简历", "履历", "resume"),
        _col(C, "health_notes", parse.free_text(), "健康", "健康状况", "health"),
        _col(C, "preferences", parse.free_text(), "爱好", "喜好", "偏好", "preferences", "hobbies"),
        _col(C, "lifestyle", parse.free_text(), "生活方式", "lifestyle"),
        _col(C, "purchase_story", parse.free_text(), "购买经历", "购买记录", "purchasehistory"),
        _col(C, "social_style", _choice(SocialStyle), "社交风格", "客户风格", "风格", "socialstyle", "style"),
        _col(C, "temperament", _choice(Temperament), "性格", "情绪类型", "性格类型", "temperament"),
        _col(C, "notes", parse.free_text(), "备注", "说明", "附注", "描述", "notes", "note", "remark", "remarks", "comment", "comments",
             "description"),
        Column("tags", _("tags"), parse.tags, ("标签", "tags", "tag", "labels")),
        Column("owner", _("owner"), _char(C, "name"), ("归属人", "所属销售", "销售", "业务员", "客户经理", "跟进人", "负责销售", "owner",
                                                      "salesrep", "accountmanager", "assignedto")),
    ]  # fmt: skip


def _customer_ref_columns() -> list[Column]:
    return [
        Column("customer", _("customer"), parse.line(200), CUSTOMER_REF, required=True),
        Column("customer_credit_code", _("unified social credit code"), parse.credit_code, CREDIT_REF),
    ]


def _contact_columns() -> list[Column]:
    K = Contact
    return [
        *_customer_ref_columns(),
        _col(K, "name", _char(K, "name"), "联系人", "联系人姓名", "姓名", "名字", "contact", "contactname", "name", "fullname",
             required=True),
        _col(K, "gender", _choice(Gender, 男性="male", 女性="female", m="male", f="female"), "性别", "gender", "sex"),
        _col(K, "title", _char(K, "title"), "职务", "职位", "头衔", "title", "jobtitle", "position"),
        _col(K, "department", _char(K, "department"), "部门", "department", "dept"),
        _col(K, "mobile", parse.phone, "手机", "手机号", "手机号码", "mobile", "cell", "cellphone"),
        _col(K, "phone", parse.phone, "电话", "办公电话", "座机", "phone", "tel", "telephone", "workphone"),
        _col(K, "email", parse.email, "邮箱", "电子邮箱", "邮件", "email", "mail"),
        _col(K, "wechat", _char(K, "wechat"), "微信", "微信号", "wechat"),
        _col(K, "birthday", parse.date, "生日", "出生日期", "birthday", "dob"),
        _col(K, "is_key_person", parse.boolean, "关键人物", "是否关键人物", "keyperson", "iskeyperson"),
        _col(K, "key_role", _char(K, "key_role"), "决策角色", "角色", "role", "keyrole"),
        _col(K, "influence", _choice(Influence), "影响力", "influence"),
        _col(K, "notes", parse.free_text(), "备注", "说明", "notes", "remarks"),
    ]  # fmt: skip


def _interaction_columns() -> list[Column]:
    I = Interaction
    return [
        *_customer_ref_columns(),
        _col(I, "kind", _choice(InteractionKind, 拜访="visit", 电话="call", 来电="call", 去电="call", 邮件="email", 微信="chat",
                                聊天="chat", 会议="meeting", 备注="note", 记录="note"),
             "类型", "联系方式", "沟通方式", "跟进方式", "kind", "type", "activitytype", required=True),
        _col(I, "direction", _choice(Direction, 呼入="inbound", 来访="inbound", 客户来电="inbound", 呼出="outbound", 主动="outbound",
                                     in_="inbound", out="outbound"), "方向", "direction"),
        _col(I, "channel", _choice(Channel, 面谈="in_person", 当面="in_person", 电话="phone", 微信="wechat", 网站="web", 短信="sms",
                                   视频="video", 其他="other"), "渠道", "channel"),
        _col(I, "occurred_at", parse.datetime, "时间", "日期", "跟进时间", "联系时间", "沟通时间", "发生时间", "date", "time", "datetime",
             "occurredat", "when", required=True),
        _col(I, "subject", _char(I, "subject"), "主题", "标题", "subject", "title"),
        _col(I, "participants", _char(I, "participants"), "参与人", "参加人", "participants"),
        _col(I, "text", parse.free_text(20000), "内容", "跟进内容", "沟通内容", "记录内容", "详情", "text", "content", "notes", "body",
             "details"),
        _col(I, "outcome", _char(I, "outcome"), "结果", "跟进结果", "outcome", "result"),
    ]  # fmt: skip


def _order_columns() -> list[Column]:
    return [
        *_customer_ref_columns(),
        Column("number", _("order number"), parse.line(32), ("订单号", "订单编号", "单号", "ordernumber", "orderno", "order", "number")),
        Column("ordered_on", _("order date"), parse.date, ("下单日期", "订单日期", "日期", "成交日期", "orderdate", "date", "orderedon"),
               required=True),
        Column("channel", _("channel"), _choice(OrderChannel), ("渠道", "销售渠道", "channel")),
        Column("status", _("status"), _choice(OrderStatus, 已确认="confirmed", 已完成="completed", 完成="completed", 已取消="cancelled",
                                                取消="cancelled", 已退货="returned", 退货="returned"), ("状态", "订单状态", "status")),
        Column("product", _("product"), parse.line(200), ("产品", "商品", "产品名称", "商品名称", "产品编号", "货号", "sku", "product",
                                                          "productname", "item"), required=True),
        Column("quantity", _("quantity"), parse.decimal(12, 3), ("数量", "qty", "quantity"), required=True),
        Column("unit_price", _("unit price"), parse.decimal(12, 2), ("单价", "价格", "unitprice", "price")),
        Column("discount", _("discount"), parse.decimal(12, 2), ("折扣", "优惠", "折扣金额", "discount")),
    ]  # fmt: skip


@lru_cache(maxsize=16)
def _columns(kind: str, language: str) -> tuple[Column, ...]:
    return tuple(
        {
            ImportKind.CUSTOMERS: _customer_columns,
            ImportKind.CONTACTS: _contact_columns,
            ImportKind.INTERACTIONS: _interaction_columns,
            ImportKind.ORDERS: _order_columns,
        }[kind]()
    )


def columns(kind: str) -> tuple[Column, ...]:
    return _columns(kind, translation.get_language() or "")


@lru_cache(maxsize=16)
def _alias_index(kind: str) -> dict[str, str]:
    index: dict[str, str] = {}
    for column in _columns(kind, ""):
        names = [column.name, *column.aliases]
        for language in ("zh-hans", "en"):
            with translation.override(language):
                names.append(str(column.label))
        for alias in names:
            index.setdefault(header_key(alias), column.name)
    return index


def suggest(kind: str, headers: list[str]) -> dict[int, str]:
    """{column index: field name} for the headers that name a field: exact
    names first, then a header that contains a known name (「客户手机号」),
    then a close spelling. Each field is suggested once, for its first column."""
    index = _alias_index(kind)
    keys = [header_key(h) for h in headers]
    out: dict[int, str] = {}
    taken: set[str] = set()

    def take(i: int, name: str | None) -> None:
        if name and name not in taken and i not in out:
            out[i] = name
            taken.add(name)

    for i, key in enumerate(keys):
        take(i, index.get(key))
    aliases = sorted(index, key=len, reverse=True)
    for i, key in enumerate(keys):
        if i in out or len(key) < 2:
            continue
        take(i, next((index[a] for a in aliases if len(a) >= 2 and (a in key)), None))
    for i, key in enumerate(keys):
        if i in out or len(key) < 3:
            continue
        close = difflib.get_close_matches(key, aliases, n=1, cutoff=0.8)
        take(i, index[close[0]] if close else None)
    return out


def header_score(kind: str):
    """How header-like a row is: the number of its cells that name a field."""
    index = _alias_index(kind)
    return lambda cells: sum(1 for c in cells if header_key(c) in index)

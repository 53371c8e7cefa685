"""A synthetic corpus for benchmarks: national-scale data on a small machine.

`generate_corpus` (the command) calls `generate()`, which builds, from a seed, the rows of a
realistic catalogue — a jurisdiction for every province and many cities, their agencies, document
series with yearly editions, parts, measures whose Chinese and English titles and summaries are
made from a vocabulary of real policy terms (双通道, 药事会, 商业健康保险, …), targets,
observations, agencies' roles, topics, who a measure applies to, and links between editions and
levels — and writes them in bulk: PostgreSQL's COPY when the database is PostgreSQL (a million
measures in minutes), batched INSERTs elsewhere (SQLite, for tests).

The same seed gives the same rows. Every synthetic document's slug starts with `syn-` and every
synthetic fact is graded `inferred` with the note `synthetic`, so it can never pass for real data.
"""

from __future__ import annotations

import datetime
import json
import random
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import yaml
from django.core.management.color import no_style
from django.db import connection, models, transaction
from django.utils import timezone

from bench.events import write_events
from caching.dataversion import bump
from measures import models as m
from measures.models import MeasureLink
from referencedata import DATA_DIR

SLUG_PREFIX = "syn-"
NOTE = "synthetic"
VOCABULARIES = DATA_DIR / "vocabularies.yaml"

PROVINCES = [
    ("beijing", "北京市", "Beijing", ["haidian", "chaoyang"]),
    ("tianjin", "天津市", "Tianjin", ["binhai"]),
    ("hebei", "河北省", "Hebei", ["shijiazhuang", "baoding"]),
    ("shanxi", "山西省", "Shanxi", ["taiyuan"]),
    ("neimenggu", "内蒙古自治区", "Inner Mongolia", ["huhehaote"]),
    ("liaoning", "辽宁省", "Liaoning", ["shenyang", "dalian"]),
    ("jilin", "吉林省", "Jilin", ["changchun"]),
    ("heilongjiang", "黑龙江省", "Heilongjiang", ["haerbin"]),
    ("shanghai", "上海市", "Shanghai", ["pudong", "minhang"]),
    ("jiangsu", "江苏省", "Jiangsu", ["nanjing", "suzhou", "wuxi", "taizhou-js"]),
    ("zhejiang", "浙江省", "Zhejiang", ["hangzhou", "ningbo"]),
    ("anhui", "安徽省", "Anhui", ["hefei"]),
    ("fujian", "福建省", "Fujian", ["fuzhou", "xiamen"]),
    ("jiangxi", "江西省", "Jiangxi", ["nanchang"]),
    ("shandong", "山东省", "Shandong", ["jinan", "qingdao", "yantai"]),
    ("henan", "河南省", "Henan", ["zhengzhou"]),
    ("hubei", "湖北省", "Hubei", ["wuhan"]),
    ("hunan", "湖南省", "Hunan", ["changsha"]),
    ("guangdong", "广东省", "Guangdong", ["guangzhou", "shenzhen", "zhuhai", "foshan"]),
    ("guangxi", "广西壮族自治区", "Guangxi", ["nanning"]),
    ("hainan", "海南省", "Hainan", ["haikou", "boao"]),
    ("chongqing", "重庆市", "Chongqing", ["liangjiang"]),
    ("sichuan", "四川省", "Sichuan", ["chengdu"]),
    ("guizhou", "贵州省", "Guizhou", ["guiyang"]),
    ("yunnan", "云南省", "Yunnan", ["kunming"]),
    ("xizang", "西藏自治区", "Tibet", ["lasa"]),
    ("shaanxi", "陕西省", "Shaanxi", ["xian"]),
    ("gansu", "甘肃省", "Gansu", ["lanzhou"]),
    ("qinghai", "青海省", "Qinghai", ["xining"]),
    ("ningxia", "宁夏回族自治区", "Ningxia", ["yinchuan"]),
    ("xinjiang", "新疆维吾尔自治区", "Xinjiang", ["wulumuqi"]),
]
CITY_NAMES = {
    "haidian": ("海淀区", "Haidian"),
    "chaoyang": ("朝阳区", "Chaoyang"),
    "binhai": ("滨海新区", "Binhai"),
    "shijiazhuang": ("石家庄市", "Shijiazhuang"),
    "baoding": ("保定市", "Baoding"),
    "taiyuan": ("太原市", "Taiyuan"),
    "huhehaote": ("呼和浩特市", "Hohhot"),
    "shenyang": ("沈阳市", "Shenyang"),
    "dalian": ("大连市", "Dalian"),
    "changchun": ("长春市", "Changchun"),
    "haerbin": ("哈尔滨市", "Harbin"),
    "pudong": ("浦东新区", "Pudong"),
    "minhang": ("闵行区", "Minhang"),
    "nanjing": ("南京市", "Nanjing"),
    "suzhou": ("苏州市", "Suzhou"),
    "wuxi": ("无锡市", "Wuxi"),
    "taizhou-js": ("泰州市", "Taizhou"),
    "hangzhou": ("杭州市", "Hangzhou"),
    "ningbo": ("宁波市", "Ningbo"),
    "hefei": ("合肥市", "Hefei"),
    "fuzhou": ("福州市", "Fuzhou"),
    "xiamen": ("厦门市", "Xiamen"),
    "nanchang": ("南昌市", "Nanchang"),
    "jinan": ("济南市", "Jinan"),
    "qingdao": ("青岛市", "Qingdao"),
    "yantai": ("烟台市", "Yantai"),
    "zhengzhou": ("郑州市", "Zhengzhou"),
    "wuhan": ("武汉市", "Wuhan"),
    "changsha": ("长沙市", "Changsha"),
    "guangzhou": ("广州市", "Guangzhou"),
    "shenzhen": ("深圳市", "Shenzhen"),
    "zhuhai": ("珠海市", "Zhuhai"),
    "foshan": ("佛山市", "Foshan"),
    "nanning": ("南宁市", "Nanning"),
    "haikou": ("海口市", "Haikou"),
    "boao": ("博鳌乐城", "Boao Lecheng"),
    "liangjiang": ("两江新区", "Liangjiang"),
    "chengdu": ("成都市", "Chengdu"),
    "guiyang": ("贵阳市", "Guiyang"),
    "kunming": ("昆明市", "Kunming"),
    "lasa": ("拉萨市", "Lhasa"),
    "xian": ("西安市", "Xi'an"),
    "lanzhou": ("兰州市", "Lanzhou"),
    "xining": ("西宁市", "Xining"),
    "yinchuan": ("银川市", "Yinchuan"),
    "wulumuqi": ("乌鲁木齐市", "Urumqi"),
}

# (slug suffix, Chinese name, short Chinese name, English name)
AGENCY_KINDS = [
    ("hsa", "医疗保障局", "医保局", "Healthcare Security Administration"),
    ("nhc", "卫生健康委员会", "卫健委", "Health Commission"),
    ("mpa", "药品监督管理局", "药监局", "Medical Products Administration"),
    ("st", "科学技术委员会", "科委", "Science and Technology Commission"),
    ("miit", "经济和信息化局", "经信局", "Economy and Information Technology Bureau"),
    ("fin", "财政局", "财政局", "Finance Bureau"),
    ("fsa", "金融监督管理局", "金融监管局", "Financial Regulatory Bureau"),
]

# Real policy terms, as the documents use them; a title or summary is built around some.
TERMS = [
    ("双通道", "dual-channel"),
    ("药事会", "pharmacy committee"),
    ("创新药", "innovative drugs"),
    ("医保目录", "reimbursement list"),
    ("商业健康保险", "commercial health insurance"),
    ("临床试验", "clinical trials"),
    ("首发上市", "first launch"),
    ("挂网采购", "platform listing"),
    ("集中带量采购", "volume-based procurement"),
    ("真实世界数据", "real-world data"),
    ("多元支付", "multi-tier payment"),
    ("院内制剂", "hospital preparations"),
    ("附条件批准", "conditional approval"),
    ("优先审评", "priority review"),
    ("临床急需", "urgent clinical need"),
    ("罕见病用药", "rare-disease drugs"),
    ("医保基金", "insurance fund"),
    ("即时结算", "instant settlement"),
    ("谈判药品", "negotiated drugs"),
    ("支付标准", "payment standards"),
    ("按病种付费", "DRG/DIP payment"),
    ("除外支付", "payment carve-outs"),
    ("新药进院", "hospital access for new drugs"),
    ("医疗数据", "medical data"),
    ("数据要素", "data as a factor of production"),
    ("揭榜挂帅", "open competition for key projects"),
    ("研发外包", "R&D outsourcing"),
    ("生物医药产业", "biomedical industry"),
    ("药品追溯码", "drug traceability codes"),
    ("定点药店", "designated pharmacies"),
    ("医保信用", "insurance credit"),
    ("价格治理", "price governance"),
    ("审评审批", "review and approval"),
    ("人工智能", "artificial intelligence"),
    ("投融资", "investment and financing"),
    ("国际多中心", "international multi-centre trials"),
]
VERBS = [
    ("支持", "Support"),
    ("优化", "Improve"),
    ("加快", "Speed up"),
    ("完善", "Strengthen"),
    ("推动", "Promote"),
    ("探索", "Pilot"),
    ("规范", "Regulate"),
    ("扩大", "Expand"),
]
NOUNS = [
    ("机制", "mechanisms"),
    ("管理", "management"),
    ("试点", "pilots"),
    ("政策", "policy"),
    ("服务", "services"),
    ("保障", "support"),
    ("流程", "procedures"),
]
PART_TITLES = [
    ("支持创新药研发", "Supporting drug R&D"),
    ("支持创新药进入医保目录", "Access to the reimbursement list"),
    ("支持创新药临床应用", "Clinical use of innovative drugs"),
    ("提高创新药多元支付能力", "Multi-tier payment"),
    ("强化组织保障", "Organisation and safeguards"),
    ("优化审评审批", "Review and approval"),
    ("促进数据共享", "Data sharing"),
    ("加强投融资支持", "Investment and financing"),
]
SERIES_NAMES = [
    (
        "支持创新医药高质量发展若干措施",
        "measures for high-quality development of innovative medicine",
    ),
    ("促进生物医药产业发展实施方案", "plan to promote the biomedical industry"),
    ("医保支持创新药发展工作方案", "insurance support for innovative drugs"),
    ("推动商业健康保险发展若干措施", "measures to develop commercial health insurance"),
]
# (metric code, Chinese, English, unit, direction, comparator, goal range)
METRICS = [
    ("approval_time", "审评审批时限", "Review time", "week", "lower", "lte", (12, 30)),
    (
        "listing_time",
        "挂网时限",
        "Time to platform listing",
        "working_day",
        "lower",
        "lte",
        (5, 20),
    ),
    (
        "committee_time",
        "药事会召开时限",
        "Time to a pharmacy committee",
        "month",
        "lower",
        "lte",
        (1, 6),
    ),
    (
        "nrdl_drugs",
        "纳入医保目录新药数",
        "New drugs in the list",
        "count",
        "higher",
        "gte",
        (10, 120),
    ),
    (
        "coverage",
        "定点医疗机构覆盖率",
        "Share of hospitals covered",
        "percent",
        "higher",
        "gte",
        (60, 100),
    ),
    ("fund", "产业基金规模", "Industry fund size", "cny_100m", "higher", "gte", (10, 500)),
    ("trials", "临床试验项目数", "Clinical trials started", "count", "higher", "gte", (20, 400)),
]
RARE_TOPIC_SHARE = 50
LINK_RELATIONS = ["continued", "continued", "continued", "strengthened", "relaxed"]


@dataclass
class Counts:
    """How many rows of each kind were written."""

    jurisdictions: int = 0
    agencies: int = 0
    series: int = 0
    documents: int = 0
    sections: int = 0
    measures: int = 0
    targets: int = 0
    observations: int = 0
    measure_agencies: int = 0
    topics: int = 0
    entity_types: int = 0
    stages: int = 0
    links: int = 0
    eligibilities: int = 0
    product_types: int = 0
    changes: int = 0


class CorpusRefused(Exception):
    """The database is not one a synthetic corpus may be written into."""


def check_target_database(force: bool) -> None:
    """Refuse a database holding real reference data (unless forced) or a synthetic corpus."""
    if m.Document.objects.filter(slug__startswith=SLUG_PREFIX).exists():
        raise CorpusRefused(
            "This database already holds a synthetic corpus; generate into an empty database."
        )
    real = m.Document.objects.exclude(slug__startswith=SLUG_PREFIX).count()
    if real and not force:
        raise CorpusRefused(
            f"This database holds {real} real document(s); a synthetic corpus would mix with "
            "them. Use an empty database, or --force to add the corpus anyway."
        )


def _column(field: models.Field) -> str:
    """A concrete field's column (only a field that is not concrete has none)."""
    if field.column is None:
        raise ValueError(f"{field} has no column")
    return field.column


class Writer:
    """Bulk rows into one table: COPY on PostgreSQL, batched INSERTs elsewhere. Ids are given
    by us (from the table's current maximum), so rows can refer to each other before they are
    written; the sequences are reset afterwards."""

    def __init__(self) -> None:
        self.postgres = connection.vendor == "postgresql"
        self.next_ids: dict[type[models.Model], int] = {}
        self.touched: list[type[models.Model]] = []

    def first_id(self, model: type[models.Model]) -> int:
        if model not in self.next_ids:
            top = model._default_manager.aggregate(top=models.Max("pk"))["top"] or 0
            self.next_ids[model] = top + 1
        return self.next_ids[model]

    def take_ids(self, model: type[models.Model], count: int) -> int:
        start = self.first_id(model)
        self.next_ids[model] = start + count
        return start

    def write(self, model: type[models.Model], names: list[str], rows: Iterable[tuple]) -> int:
        """Write `rows` (tuples of the fields `names`, by attname); every other column gets its
        field's default. Returns how many rows were written."""
        fields = {f.attname: f for f in model._meta.concrete_fields}
        # An id we do not give is the database's to assign.
        rest = [f for n, f in fields.items() if n not in names and not f.primary_key]
        defaults = tuple(self.default(f) for f in rest)
        columns = [_column(fields[name]) for name in names] + [_column(f) for f in rest]
        table = connection.ops.quote_name(model._meta.db_table)
        quoted = ", ".join(connection.ops.quote_name(c) for c in columns)
        if model not in self.touched:
            self.touched.append(model)
        written = 0
        with connection.cursor() as cursor:
            if self.postgres:
                raw = cursor.cursor  # the psycopg cursor, for COPY
                with raw.copy(f"COPY {table} ({quoted}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row + defaults)
                        written += 1
                return written
            ordered = [fields[name] for name in names] + rest
            placeholders = ", ".join(["%s"] * len(columns))
            sql = f"INSERT INTO {table} ({quoted}) VALUES ({placeholders})"
            for batch in batched(rows, 2000):
                prepared = [
                    [
                        f.get_db_prep_save(v, connection)
                        for f, v in zip(ordered, row + defaults, strict=True)
                    ]
                    for row in batch
                ]
                cursor.executemany(sql, prepared)
                written += len(prepared)
        return written

    @staticmethod
    def default(f: models.Field):
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            return timezone.now()
        if f.has_default():
            value = f.get_default()
            return json.dumps(value) if isinstance(f, models.JSONField) else value
        if f.null:
            return None
        if isinstance(f, models.CharField | models.TextField):
            return ""
        raise ValueError(f"{f.model.__name__}.{f.name} needs a value")

    def reset_sequences(self) -> None:
        statements = connection.ops.sequence_reset_sql(no_style(), self.touched)
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)


def batched(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    batch: list[tuple] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


@dataclass
class Place:
    jurisdiction_id: int
    code: str
    name_zh: str
    name_en: str
    level: str
    agency_ids: list[int]
    short_zh: str


@dataclass
class Doc:
    id: int
    slug: str
    place: Place
    year: int
    series_id: int | None
    edition: int | None
    measure_count: int
    first_measure_id: int = 0
    previous: Doc | None = None


def vocabulary() -> dict:
    with open(VOCABULARIES, encoding="utf-8") as handle:
        return yaml.safe_load(handle)


def code_ids(
    model: type[models.Model], entries: list[dict], extra: dict | None = None
) -> list[int]:
    """The ids of these vocabulary entries, created when missing (kept as they are otherwise)."""
    ids = []
    for entry in entries:
        values = {k: v for k, v in entry.items() if k != "code"} | (extra or {})
        record, _ = model._default_manager.get_or_create(code=entry["code"], defaults=values)
        ids.append(record.pk)
    return ids


def places(writer: Writer) -> list[Place]:
    """The national level, every province and the listed cities, each with its agencies."""
    national, _ = m.Jurisdiction.objects.get_or_create(
        code="national", defaults={"name_zh": "全国", "name_en": "National", "level": "national"}
    )
    result = [Place(national.pk, "national", "国家", "National", national.level, [], "国")]
    for code, zh, en, cities in PROVINCES:
        province, _ = m.Jurisdiction.objects.get_or_create(
            code=code,
            defaults={"name_zh": zh, "name_en": en, "level": "provincial", "parent": national},
        )
        result.append(Place(province.pk, code, zh, en, province.level, [], zh[:2]))
        for city in cities:
            city_zh, city_en = CITY_NAMES[city]
            record, _ = m.Jurisdiction.objects.get_or_create(
                code=city,
                defaults={
                    "name_zh": city_zh,
                    "name_en": city_en,
                    "level": "municipal",
                    "parent": province,
                },
            )
            result.append(Place(record.pk, city, city_zh, city_en, record.level, [], city_zh[:2]))
    rows = []
    start = writer.take_ids(m.Agency, len(result) * len(AGENCY_KINDS))
    for index, place in enumerate(result):
        for offset, (suffix, zh, short, en) in enumerate(AGENCY_KINDS):
            pk = start + index * len(AGENCY_KINDS) + offset
            place.agency_ids.append(pk)
            prefix_zh = "国家" if place.level == "national" else place.name_zh
            rows.append(
                (
                    pk,
                    f"{SLUG_PREFIX}{place.code}-{suffix}",
                    f"{prefix_zh}{zh}",
                    f"{place.name_en} {en}",
                    place.jurisdiction_id,
                    f"{place.short_zh}{short}",
                    json.dumps([f"{'市' if place.level == 'municipal' else '省'}{short}"]),
                )
            )
    names = ["id", "slug", "name_zh", "name_en", "jurisdiction_id", "short_name_zh", "aliases"]
    writer.write(m.Agency, names, rows)
    return result


def generate(measures: int, seed: int = 1, force: bool = False) -> Counts:
    """Write a corpus of exactly `measures` measures, deterministic for `seed`, in one
    transaction. Raises CorpusRefused when the database is not a fit (see check_target_database).
    """
    with transaction.atomic():
        check_target_database(force)
        skip_reference_triggers()
        counts = _generate(measures, random.Random(seed))  # noqa: S311 (reproducible, no secret)
        bump()
        return counts


def skip_reference_triggers() -> None:
    """On PostgreSQL, as a superuser, skip the per-row foreign-key triggers for this transaction:
    they would queue one check per row (Django's keys are deferred) and triple the time. Every
    reference is assigned here from ids we just took; tests check them on both databases."""
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT rolsuper FROM pg_roles WHERE rolname = current_user")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")


def _generate(total: int, rng: random.Random) -> Counts:
    writer = Writer()
    counts = Counts()
    vocab = vocabulary()
    topic_ids = code_ids(m.Topic, vocab["topics"])
    entity_ids = code_ids(m.EntityType, vocab["entity_types"])
    stages = [entry | {"ordinal": i} for i, entry in enumerate(vocab["product_stages"], 1)]
    stage_ids = code_ids(m.ProductStage, stages)
    jurisdictions = places(writer)
    counts.jurisdictions = len(jurisdictions)
    counts.agencies = len(jurisdictions) * len(AGENCY_KINDS)

    docs = plan_documents(total, jurisdictions, rng, writer)
    counts.series = write_series(docs, writer)
    counts.documents = write_documents(docs, writer, rng)
    sections = plan_sections(docs, rng, writer)
    counts.sections = writer.write(
        m.Section, ["id", "document_id", "ordinal", "title_zh", "title_en"], sections.rows
    )
    vocab_ids = (topic_ids, entity_ids, stage_ids)
    measure_rows, facts = plan_measures(docs, sections, vocab_ids, rng, writer)
    # Planned before the measures are written (the measure rows draw from a generator of their
    # own, so the corpus is the same), for each measure's search text includes its targets'.
    targets, observations = plan_targets(facts.measure_ids, rng, writer)
    counts.measures = writer.write(
        m.Measure,
        [
            "id",
            "document_id",
            "section_id",
            "number",
            "title_zh",
            "title_en",
            "summary_zh",
            "summary_en",
            "scope_id",
            "grade",
            "grade_note_en",
            "placement_grade",
            "search_text",
        ],
        with_search_text(measure_rows, targets),
    )
    counts.topics = write_pairs(m.Measure.topics.through, "topic_id", facts.topics, writer)
    counts.entity_types = write_pairs(
        m.Measure.entity_types.through, "entitytype_id", facts.entity_types, writer
    )
    counts.stages = write_pairs(m.Measure.stages.through, "productstage_id", facts.stages, writer)
    counts.measure_agencies = writer.write(
        m.MeasureAgency,
        ["measure_id", "agency_id", "role", "grade", "grade_note_en"],
        ((mid, aid, role, "inferred", NOTE) for mid, aid, role in facts.roles),
    )
    counts.targets = writer.write(
        m.Target,
        [
            "id",
            "measure_id",
            "key",
            "kind",
            "metric",
            "metric_zh",
            "metric_en",
            "unit",
            "direction",
            "baseline_value",
            "baseline_date",
            "comparator",
            "goal_value",
            "deadline",
            "deadline_text",
            "reporting_interval_days",
            "grade",
            "grade_note_en",
        ],
        targets,
    )
    counts.observations = writer.write(
        m.Observation,
        ["target_id", "value", "observed_on", "origin", "grade", "grade_note_en"],
        observations,
    )
    counts.links = writer.write(
        MeasureLink,
        ["older_id", "newer_id", "relation", "status", "grade", "grade_note_en"],
        plan_links(docs, rng),
    )
    # Drawn last, from a generator of its own, so the rows above stay those of earlier corpora.
    product_type_ids = code_ids(m.ProductType, vocab["product_types"])
    eligibility_rng = random.Random(rng.random())  # noqa: S311
    eligibilities, product_types = plan_eligibility(docs, product_type_ids, eligibility_rng, writer)
    counts.eligibilities = writer.write(
        m.Eligibility,
        [
            "id",
            "measure_id",
            "class1_only",
            "for_beijing",
            "for_china_other",
            "for_abroad",
            "next_step_zh",
            "next_step_en",
            "approach_id",
            "grade",
            "grade_note_en",
        ],
        eligibilities,
    )
    counts.product_types = writer.write(
        m.Eligibility.product_types.through, ["eligibility_id", "producttype_id"], product_types
    )
    # The change log, in SQL from the rows above (bench/events.py), drawn last as well.
    counts.changes = write_events(writer.first_id(m.Change), seed=rng.randrange(1000))
    writer.touched.append(m.Change)
    writer.reset_sequences()
    return counts


def plan_documents(
    total: int, jurisdictions: list[Place], rng: random.Random, writer: Writer
) -> list[Doc]:
    """Documents of 16 to 48 measures each (the last one takes the remainder), spread over the
    jurisdictions; most belong to a series and follow its previous edition a year later."""
    sizes = []
    left = total
    while left > 0:
        size = min(left, rng.randint(16, 48))
        sizes.append(size)
        left -= size
    first = writer.take_ids(m.Document, len(sizes))
    docs: list[Doc] = []
    # (place, series index) → the latest edition so far
    latest: dict[tuple[int, int], Doc] = {}
    series_ids: dict[tuple[int, int], int] = {}
    series_count = 0
    series_start = writer.first_id(m.Series)
    # A small corpus uses fewer places, so that even it has series with several editions.
    jurisdictions = jurisdictions[: max(1, min(len(jurisdictions), len(sizes) // 4))]
    per_place = [0] * len(jurisdictions)
    # Enough series per place that the editions stay within 2018-2025.
    per_series = max(2, -(-len(sizes) // len(jurisdictions) // 8) + 1)
    for index, size in enumerate(sizes):
        place_index = index % len(jurisdictions)
        place = jurisdictions[place_index]
        ordinal = per_place[place_index]
        per_place[place_index] += 1
        series_index = ordinal % per_series  # one edition a year in each series
        year = 2018 + ordinal // per_series
        in_series = series_index % 5 != 4  # one document in five stands alone
        previous = None
        series_id = edition = None
        if in_series:
            key = (place_index, series_index)
            if key not in series_ids:
                series_ids[key] = series_start + series_count
                series_count += 1
            series_id = series_ids[key]
            previous = latest.get(key)
            edition = previous.edition + 1 if previous and previous.edition else 1
        doc = Doc(
            id=first + index,
            slug=f"{SLUG_PREFIX}{place.code}-{year}-{series_index}",
            place=place,
            year=year,
            series_id=series_id,
            edition=edition,
            measure_count=size,
            previous=previous,
        )
        if in_series:
            latest[(place_index, series_index)] = doc
        docs.append(doc)
    writer.take_ids(m.Series, series_count)
    return docs


def series_name(index: int) -> tuple[str, str]:
    return SERIES_NAMES[index % len(SERIES_NAMES)]


def write_series(docs: list[Doc], writer: Writer) -> int:
    rows = {}
    for doc in docs:
        if doc.series_id is not None and doc.series_id not in rows:
            zh, en = series_name(doc.series_id)
            rows[doc.series_id] = (
                doc.series_id,
                f"{SLUG_PREFIX}series-{doc.series_id}",
                f"{doc.place.name_zh}{zh}",
                f"{doc.place.name_en} {en}",
                doc.place.jurisdiction_id,
            )
    names = ["id", "slug", "name_zh", "name_en", "jurisdiction_id"]
    return writer.write(m.Series, names, rows.values())


def write_documents(docs: list[Doc], writer: Writer, rng: random.Random) -> int:
    """Documents from 2024 on are in force, and so is the latest edition of every series (a
    small corpus has editions only until 2019 or so: the applicability finder, which reads only
    measures in force, still has work); the rest have expired."""
    rows = []
    issuers: list[tuple[int, int, int]] = []
    superseded = {doc.previous.id for doc in docs if doc.previous is not None}
    for doc in docs:
        latest_edition = doc.series_id is not None and doc.id not in superseded
        zh, en = series_name(doc.series_id or doc.id)
        signed = datetime.date(doc.year, rng.randint(1, 12), rng.randint(1, 28))
        # An older document outside a series ran out; an edition is ended by the next one.
        expires = doc.year < 2024 and not latest_edition and doc.series_id is None
        expiry = (datetime.date(doc.year + 3, 1, 1), "expired") if expires else (None, "")
        rows.append(
            (
                doc.id,
                doc.slug,
                f"{doc.place.name_zh}{zh}({doc.year}年)",
                f"{doc.place.name_en} {en} ({doc.year})",
                f"{doc.place.short_zh}医保发〔{doc.year}〕{doc.id % 97 + 1}号",
                doc.place.jurisdiction_id,
                doc.place.level,
                doc.series_id,
                doc.edition,
                signed,
                signed + datetime.timedelta(days=7),
                signed + datetime.timedelta(days=30),
                *expiry,
                f"{doc.place.name_zh}关于{zh}的合成文件。",
                f"A synthetic document: {doc.place.name_en} {en}.",
                "inferred",
                NOTE,
            )
        )
        chosen = rng.sample(doc.place.agency_ids, rng.randint(1, 3))
        issuers.extend((doc.id, agency, position) for position, agency in enumerate(chosen, 1))
    names = [
        "id",
        "slug",
        "title_zh",
        "title_en",
        "number",
        "jurisdiction_id",
        "jurisdiction_level",
        "series_id",
        "edition",
        "signed_on",
        "published_on",
        "effective_from",
        "ended_on",
        "end_reason",
        "summary_zh",
        "summary_en",
        "grade",
        "grade_note_en",
    ]
    written = writer.write(m.Document, names, rows)
    writer.write(m.DocumentIssuer, ["document_id", "agency_id", "position"], issuers)
    return written


@dataclass
class Sections:
    rows: list[tuple] = field(default_factory=list)
    # per document: the section id of each of its measures, in order
    of_measures: dict[int, list[int]] = field(default_factory=dict)


def plan_sections(docs: list[Doc], rng: random.Random, writer: Writer) -> Sections:
    total = sum(min(doc.measure_count, rng.randint(3, 8)) for doc in docs)
    next_id = writer.take_ids(m.Section, total)
    sections = Sections()
    rng_parts = random.Random(rng.random())  # noqa: S311
    for doc in docs:
        parts = min(doc.measure_count, rng_parts.randint(3, 8))
        cuts = sorted(rng_parts.sample(range(1, doc.measure_count), parts - 1)) if parts > 1 else []
        bounds = [0, *cuts, doc.measure_count]
        owners = []
        for ordinal in range(1, parts + 1):
            zh, en = PART_TITLES[(ordinal - 1 + doc.id) % len(PART_TITLES)]
            sections.rows.append((next_id, doc.id, ordinal, zh, en))
            owners.extend([next_id] * (bounds[ordinal] - bounds[ordinal - 1]))
            next_id += 1
        sections.of_measures[doc.id] = owners
    return sections


@dataclass
class Facts:
    measure_ids: list[int] = field(default_factory=list)
    topics: list[tuple[int, int]] = field(default_factory=list)
    entity_types: list[tuple[int, int]] = field(default_factory=list)
    stages: list[tuple[int, int]] = field(default_factory=list)
    roles: list[tuple[int, int, str]] = field(default_factory=list)


def plan_measures(
    docs: list[Doc],
    sections: Sections,
    vocab_ids: tuple[list[int], list[int], list[int]],
    rng: random.Random,
    writer: Writer,
) -> tuple[Iterator[tuple], Facts]:
    """The measure rows (a generator, so a million never sit in memory at once as tuples of
    text) and the facts attached to them."""
    total = sum(doc.measure_count for doc in docs)
    first = writer.take_ids(m.Measure, total)
    facts = Facts()
    topic_ids, entity_ids, stage_ids = vocab_ids
    next_id = first
    for doc in docs:
        doc.first_measure_id = next_id
        next_id += doc.measure_count
    facts.measure_ids = list(range(first, next_id))
    # Real topics are uneven: the last of the vocabulary is made rare (kept on one measure in
    # RARE_TOPIC_SHARE of those it is drawn for; a measure left without a topic gets another by
    # its id), so that a filter by a rare topic is measured too. No extra draw: same stream.
    rare = topic_ids[-1]
    for measure_id in facts.measure_ids:
        drawn = rng.sample(topic_ids, rng.randint(1, 3))
        if measure_id % RARE_TOPIC_SHARE:
            drawn = [t for t in drawn if t != rare] or [
                topic_ids[measure_id % (len(topic_ids) - 1)]
            ]
        facts.topics.extend((measure_id, topic) for topic in drawn)
        for entity in rng.sample(entity_ids, rng.randint(1, 2)):
            facts.entity_types.append((measure_id, entity))
        for stage in rng.sample(stage_ids, rng.randint(0, 2)):
            facts.stages.append((measure_id, stage))
    for doc in docs:
        for offset in range(doc.measure_count):
            chosen = rng.sample(doc.place.agency_ids, rng.randint(1, 3))
            for position, agency in enumerate(chosen):
                role = "lead" if position == 0 else rng.choice(["joint", "support"])
                facts.roles.append((doc.first_measure_id + offset, agency, role))
    text_rng = random.Random(rng.random())  # noqa: S311

    def rows() -> Iterator[tuple]:
        for doc in docs:
            owners = sections.of_measures[doc.id]
            for offset in range(doc.measure_count):
                title_zh, title_en, summary_zh, summary_en = measure_text(text_rng, doc.place)
                yield (
                    doc.first_measure_id + offset,
                    doc.id,
                    owners[offset],
                    offset + 1,
                    title_zh,
                    title_en,
                    summary_zh,
                    summary_en,
                    doc.place.jurisdiction_id,
                    "inferred",
                    NOTE,
                    "inferred",
                )

    return rows(), facts


def with_search_text(measure_rows: Iterable[tuple], targets: list[tuple]) -> Iterator[tuple]:
    """Each row of plan_measures with its search_text (models.search_text): the title and
    summaries (a synthetic measure has no full text) and its targets' metric and deadline."""
    words: dict[int, list[tuple[str, str, str, str]]] = defaultdict(list)
    for target in targets:  # id, measure_id, key, … metric_zh, metric_en, … deadline_text
        words[target[1]].append((target[2], target[5], target[6], target[14]))
    for row in measure_rows:
        ordered = [texts for _key, *texts in sorted(words[row[0]])]  # by key, as the model
        yield (*row, m.search_text([*row[4:8], ""], ordered))


def measure_text(rng: random.Random, place: Place) -> tuple[str, str, str, str]:
    """A title around one policy term and a summary of two or three clauses around others."""
    verb_zh, verb_en = rng.choice(VERBS)
    term_zh, term_en = rng.choice(TERMS)
    noun_zh, noun_en = rng.choice(NOUNS)
    title_zh = f"{verb_zh}{term_zh}{noun_zh}"
    title_en = f"{verb_en} {term_en} {noun_en}"
    clauses_zh = []
    clauses_en = []
    for _ in range(rng.randint(2, 3)):
        verb_zh, verb_en = rng.choice(VERBS)
        term_zh, term_en = rng.choice(TERMS)
        noun_zh, noun_en = rng.choice(NOUNS)
        clauses_zh.append(f"{verb_zh}{term_zh}{noun_zh}")
        clauses_en.append(f"{verb_en.lower()} {term_en} {noun_en}")
    agency = f"{place.short_zh}{AGENCY_KINDS[rng.randrange(len(AGENCY_KINDS))][2]}"
    summary_zh = f"{agency}牵头,{','.join(clauses_zh)}。"
    summary_en = f"{place.name_en} will {', '.join(clauses_en)}."
    return title_zh, title_en, summary_zh, summary_en


def write_pairs(through: type[models.Model], column: str, pairs: list, writer: Writer) -> int:
    return writer.write(through, ["measure_id", column], pairs)


def plan_targets(
    measure_ids: list[int], rng: random.Random, writer: Writer
) -> tuple[list[tuple], list[tuple]]:
    """About one target a measure (none, one or two), each with up to three observations."""
    per_measure = [rng.choice((0, 1, 1, 2)) for _ in measure_ids]
    first = writer.take_ids(m.Target, sum(per_measure))
    targets: list[tuple] = []
    observations: list[tuple] = []
    next_id = first
    for measure_id, count in zip(measure_ids, per_measure, strict=True):
        for index in range(count):
            code, zh, en, unit, direction, comparator, (low, high) = rng.choice(METRICS)
            goal = Decimal(rng.randint(low, high))
            lower = direction == "lower"
            baseline = goal * (Decimal(2) if lower else Decimal("0.4"))
            start = datetime.date(rng.randint(2019, 2024), rng.randint(1, 12), 1)
            rule = rng.random() < 0.1
            deadline = None if rule else start + datetime.timedelta(days=rng.randint(365, 1500))
            targets.append(
                (
                    next_id,
                    measure_id,
                    f"{code}-{index + 1}",
                    "rule" if rule else "level",
                    code,
                    zh,
                    en,
                    unit,
                    direction,
                    baseline,
                    start,
                    comparator,
                    goal,
                    deadline,
                    "目录公布后3个月内" if rule else "",
                    rng.choice((None, 90, 365)),
                    "inferred",
                    NOTE,
                )
            )
            for step in range(rng.randint(0, 3)):
                share = Decimal(rng.randint(10 + 30 * step, 40 + 40 * step)) / 100
                value = baseline + (goal - baseline) * share
                observed = start + datetime.timedelta(days=200 * (step + 1))
                observations.append(
                    (next_id, value.quantize(Decimal("0.01")), observed, "editor", "inferred", NOTE)
                )
            next_id += 1
    return targets, observations


BEIJING_PLACES = {"beijing", *PROVINCES[0][3]}
NEXT_STEPS = [
    ("向{agency}提交申报材料", "Apply to the {agency_en}"),
    ("关注{agency}发布的申报通知", "Watch for the {agency_en}'s call for applications"),
    ("联系{agency}确认资格", "Ask the {agency_en} to confirm eligibility"),
]


def plan_eligibility(
    docs: list[Doc], product_type_ids: list[int], rng: random.Random, writer: Writer
) -> tuple[Iterator[tuple], list[tuple[int, int]]]:
    """Who can claim a measure, for about four measures in five (the finder reads only
    those): some limited to one or two product types or to Class-1 drugs, most open to firms
    everywhere, some only to local firms or not to firms abroad; a next step naming one of the
    measure's jurisdiction's agencies. The product-type pairs are filled while the rows are
    consumed."""
    product_types: list[tuple[int, int]] = []
    chosen = [
        (doc, offset) for doc in docs for offset in range(doc.measure_count) if rng.random() < 0.8
    ]
    first = writer.take_ids(m.Eligibility, len(chosen))

    def rows() -> Iterator[tuple]:
        for eligibility_id, (doc, offset) in enumerate(chosen, start=first):
            if rng.random() < 0.3:
                for product_type in rng.sample(product_type_ids, rng.randint(1, 2)):
                    product_types.append((eligibility_id, product_type))
            local = rng.random() < 0.2  # for the jurisdiction's own firms only
            in_beijing = doc.place.code in BEIJING_PLACES
            kind = rng.randrange(len(AGENCY_KINDS))
            step_zh, step_en = rng.choice(NEXT_STEPS)
            agency_zh = f"{doc.place.short_zh}{AGENCY_KINDS[kind][2]}"
            agency_en = f"{doc.place.name_en} {AGENCY_KINDS[kind][3]}"
            yield (
                eligibility_id,
                doc.first_measure_id + offset,
                rng.random() < 0.15,
                in_beijing or not local,
                not (local and in_beijing),
                not local and rng.random() < 0.6,
                step_zh.format(agency=agency_zh),
                step_en.format(agency_en=agency_en),
                doc.place.agency_ids[kind],
                "inferred",
                NOTE,
            )

    return rows(), product_types


def plan_links(docs: list[Doc], rng: random.Random) -> Iterator[tuple]:
    """Each edition's measures against the previous edition's (same number: continued,
    strengthened or relaxed; beyond its count: new), and some local measures implementing (or,
    when they came first, anticipating) a national one."""
    national = [doc for doc in docs if doc.place.level == "national"]
    for doc in docs:
        if doc.previous is not None:
            for offset in range(doc.measure_count):
                newer = doc.first_measure_id + offset
                if offset < doc.previous.measure_count:
                    older = doc.previous.first_measure_id + offset
                    yield (older, newer, rng.choice(LINK_RELATIONS), "curated", "inferred", NOTE)
                else:
                    yield (None, newer, "new", "curated", "inferred", NOTE)
        elif national and doc.place.level != "national":
            target = national[doc.id % len(national)]
            # Never backwards in time (measures/chronology.py): a local document of a later
            # year implements the national one, of an earlier year anticipates it; in the same
            # year the (random) days could fall either way, so it only corresponds.
            if doc.year > target.year:
                relation = "implements"
            elif doc.year < target.year:
                relation = "anticipates"
            else:
                relation = "corresponds"
            for offset in range(0, min(doc.measure_count, target.measure_count), 4):
                older = target.first_measure_id + offset
                newer = doc.first_measure_id + offset
                yield (older, newer, relation, "curated", "inferred", NOTE)

"""Persons and their true identifiers: names, companies, credit codes, phones, emails, WeChat."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from . import names
from .formats import STRING, digit_matrix, fixed_width, piecewise, strings

# crm: has CRM records; prospect: only ever emailed; buyer: only ever seen on orders.
SEGMENTS = ("crm", "prospect", "buyer")
CRM, PROSPECT, BUYER = range(3)
SEGMENT_SHARE = (0.50, 0.30, 0.20)
TIERS = ("A", "B", "C", "D")
TIER_SHARE = (0.10, 0.25, 0.35, 0.30)
PERSONS_PER_REP = 150
PERSONS_PER_COMPANY = 3

# Unified social credit code (GB 32100-2015) alphabet and check weights.
USCC_CHARS = np.frombuffer(b"0123456789ABCDEFGHJKLMNPQRTUWXY", np.uint8)
USCC_WEIGHTS = np.array([1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28])
ORG_CODE_WEIGHTS = np.array([3, 7, 9, 10, 5, 8, 4, 2])  # GB 11714 check inside the USCC


@dataclass(frozen=True)
class Companies:
    name: pa.Array
    credit_code: pa.Array
    domain: pa.Array
    region: np.ndarray  # index into names.REGIONS
    industry: np.ndarray  # index into names.INDUSTRIES


@dataclass(frozen=True)
class People:
    segment: np.ndarray
    tier: np.ndarray
    name: pa.Array
    company: np.ndarray
    phone: np.ndarray  # 11-digit mobile as int64
    email: pa.Array  # the person's own address, lower-case
    wechat: pa.Array
    rep: np.ndarray  # owning sales rep index
    n_reps: int
    companies: Companies

    @property
    def n(self) -> int:
        return len(self.segment)


def _weighted(rng: np.random.Generator, weights, size: int) -> np.ndarray:
    weights = np.asarray(weights, float)
    return rng.choice(len(weights), size=size, p=weights / weights.sum())


def _column(pairs, position: int) -> pa.Array:
    return strings([pair[position] for pair in pairs])


def _dedupe(rng: np.random.Generator, head: pa.Array, tail: pa.Array | str = "") -> pa.Array:
    """Append digits to `head` until every head+tail is unique (first occurrence kept)."""
    while True:
        codes = pc.dictionary_encode(pc.binary_join_element_wise(head, tail, "")).indices
        _, first = np.unique(codes.to_numpy(), return_index=True)
        repeat = np.ones(len(head), bool)
        repeat[first] = False
        if not repeat.any():
            return head
        digits = pa.array(rng.integers(0, 100, repeat.sum())).cast(STRING)
        head = pc.replace_with_mask(
            head, pa.array(repeat), pc.binary_join_element_wise(head.filter(repeat), digits, "")
        )


def _credit_codes(rng: np.random.Generator, area_codes: np.ndarray) -> pa.Array:
    n = len(area_codes)
    values = np.empty((n, 18), np.int64)
    values[:, 0], values[:, 1] = 9, 1  # registered with market regulation; an enterprise
    values[:, 2:8] = digit_matrix(area_codes, 6) - 48
    values[:, 8:16] = digit_matrix(rng.choice(10**8, n, replace=False), 8) - 48
    org_check = 11 - (values[:, 8:16] * ORG_CODE_WEIGHTS).sum(1) % 11
    values[:, 16] = np.select([org_check == 10, org_check == 11], [29, 0], org_check)  # X, 0
    values[:, 17] = (31 - (values[:, :17] * USCC_WEIGHTS).sum(1) % 31) % 31
    return fixed_width(USCC_CHARS[values])


def _companies(rng: np.random.Generator, n: int) -> Companies:
    region = _weighted(rng, [r[3] for r in names.REGIONS], n)
    industry = rng.integers(0, len(names.INDUSTRIES), n)
    brand = rng.integers(0, len(names.BRAND), (n, 2))
    brand_han, brand_py = _column(names.BRAND, 0), _column(names.BRAND, 1)
    name = pc.binary_join_element_wise(
        strings([r[1] for r in names.REGIONS]).take(region),
        brand_han.take(brand[:, 0]),
        brand_han.take(brand[:, 1]),
        strings([i[1] for i in names.INDUSTRIES]).take(industry),
        "有限公司",
        "",
    )
    suffix = rng.integers(0, len(names.COMPANY_DOMAIN_SUFFIXES), n)
    domain = _dedupe(
        rng,
        pc.binary_join_element_wise(brand_py.take(brand[:, 0]), brand_py.take(brand[:, 1]), ""),
        strings(names.COMPANY_DOMAIN_SUFFIXES).take(suffix),
    )
    domain = pc.binary_join_element_wise(
        domain, strings(names.COMPANY_DOMAIN_SUFFIXES).take(suffix), ""
    )
    area = np.array([int(r[2]) for r in names.REGIONS])[region]
    return Companies(name, _credit_codes(rng, area), domain, region, industry)


def _random_letters(rng: np.random.Generator, n: int, width: int) -> pa.Array:
    alphabet = np.frombuffer(b"abcdefghijkmnpqrstuvwxyz23456789", np.uint8)
    return fixed_width(alphabet[rng.integers(0, len(alphabet), (n, width))])


def _number_text(rng: np.random.Generator, low: int, high: int, n: int) -> pa.Array:
    return pa.array(rng.integers(low, high, n)).cast(STRING)


def _emails(rng, surname_py, given_py, initials, company_domain) -> pa.Array:
    n = len(surname_py)
    join = pc.binary_join_element_wise
    # Local-part styles people really use: pinyin with or without a dot, initials plus digits,
    # a random handle; QQ mailboxes are mostly the numeric QQ id.
    local = piecewise(
        _weighted(rng, [25, 20, 10, 20, 10], n),
        [
            lambda r: join(surname_py.take(r), ".", given_py.take(r), ""),
            lambda r: join(surname_py.take(r), given_py.take(r), ""),
            lambda r: join(given_py.take(r), ".", surname_py.take(r), ""),
            lambda r: join(initials.take(r), _number_text(rng, 1, 10_000, len(r)), ""),
            lambda r: _random_letters(rng, len(r), 8),
        ],
    )
    domain_index = _weighted(rng, [d[1] for d in names.EMAIL_DOMAINS], n)
    fixed_domains = strings([d[0] or "" for d in names.EMAIL_DOMAINS]).take(domain_index)
    domain = pc.if_else(pa.array(domain_index == 0), company_domain, fixed_domains)
    qq = (domain_index == 1) & (rng.random(n) < 0.7)
    local = pc.replace_with_mask(
        local, pa.array(qq), _number_text(rng, 10**5, 10**10, int(qq.sum()))
    )
    at_domain = pc.binary_join_element_wise("@", domain, "")
    return pc.binary_join_element_wise(_dedupe(rng, local, at_domain), at_domain, "")


def _wechat_ids(rng: np.random.Generator, given_py: pa.Array, surname_py: pa.Array) -> pa.Array:
    n = len(given_py)
    handle = piecewise(
        rng.integers(0, 2, n),
        [
            lambda r: pc.binary_join_element_wise("wxid_", _random_letters(rng, len(r), 10), ""),
            lambda r: pc.binary_join_element_wise(
                given_py.take(r), surname_py.take(r), _number_text(rng, 1, 1000, len(r)), ""
            ),
        ],
    )
    return _dedupe(rng, handle)


def _mobiles(rng: np.random.Generator, n: int) -> np.ndarray:
    prefixes = np.array(names.MOBILE_PREFIXES, np.int64)
    drawn = rng.choice(len(prefixes) * 10**8, n, replace=False)
    return prefixes[drawn // 10**8] * 10**8 + drawn % 10**8


def build_people(rng: np.random.Generator, n: int) -> People:
    n_companies = max(1, n // PERSONS_PER_COMPANY)
    companies = _companies(rng, n_companies)
    # Skewed so a few companies have many contacts and most have one or two.
    company = rng.permutation(n_companies)[(n_companies * rng.random(n) ** 1.5).astype(np.int64)]

    surname = _weighted(rng, 1 / np.arange(1, len(names.SURNAMES) + 1) ** 0.7, n)
    given = rng.integers(0, len(names.GIVEN), (n, 2))
    single = rng.random(n) < 0.25
    s_han, s_py = _column(names.SURNAMES, 0), _column(names.SURNAMES, 1)
    g_han, g_py = _column(names.GIVEN, 0), _column(names.GIVEN, 1)
    second_han = pc.if_else(pa.array(single), "", g_han.take(given[:, 1]))
    second_py = pc.if_else(pa.array(single), "", g_py.take(given[:, 1]))
    name = pc.binary_join_element_wise(s_han.take(surname), g_han.take(given[:, 0]), second_han, "")
    surname_py = s_py.take(surname)
    given_py = pc.binary_join_element_wise(g_py.take(given[:, 0]), second_py, "")
    initials = pc.binary_join_element_wise(
        pc.utf8_slice_codeunits(surname_py, 0, 1),
        pc.utf8_slice_codeunits(g_py.take(given[:, 0]), 0, 1),
        pc.utf8_slice_codeunits(second_py, 0, 1),
        "",
    )
    n_reps = max(2, round(n / PERSONS_PER_REP))
    return People(
        segment=_weighted(rng, SEGMENT_SHARE, n).astype(np.int8),
        tier=_weighted(rng, TIER_SHARE, n).astype(np.int8),
        name=name,
        company=company,
        phone=_mobiles(rng, n),
        email=_emails(rng, surname_py, given_py, initials, companies.domain.take(company)),
        wechat=_wechat_ids(rng, given_py, surname_py),
        rep=rng.integers(0, n_reps, n),
        n_reps=n_reps,
        companies=companies,
    )

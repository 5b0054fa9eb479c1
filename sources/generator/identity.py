"""How identifiers are written down: phone and email variants, and shared junk identifiers.

An email is carried as a code: an index into the address book, which lists every person's own
address followed by the junk mailboxes; NO_EMAIL marks a blank field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from .formats import PHONE_TEMPLATES, STRING, phones, piecewise, strings
from .people import CRM, People

NO_EMAIL = -1
NO_PHONE = -1
EMAIL_STYLES = ("clean", "title_case", "padded", "upper_case", "display_name")
CLEAN, TITLE, PADDED, UPPER, DISPLAY_NAME = range(len(EMAIL_STYLES))

JUNK_EMAIL_BOXES = ("info", "sales", "info")
JUNK_HOLDER_SHARE = 0.0005  # of CRM persons holding each junk identifier, clipped to:
JUNK_HOLDERS = (4, 60)


@dataclass(frozen=True)
class Junk:
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    phone_of: np.ndarray  # per person: index into phones, or -1
    email_of: np.ndarray  # per person: index into emails, or -1


def pick_junk(rng: np.random.Generator, people: People) -> Junk:
    """A switchboard, 400 service numbers and info@/sales@ boxes on unrelated CRM persons."""
    service = rng.choice(10_000, 2, replace=False)
    junk_phones = ("010-88888888", *(f"400-800-{s:04d}" for s in service))
    crm = np.flatnonzero(people.segment == CRM)
    _, first_of_company = np.unique(people.company[crm], return_index=True)
    # One holder per company keeps the holders of an identifier unrelated to each other.
    pool = rng.permutation(crm[np.sort(first_of_company)])
    per_id = int(np.clip(round(JUNK_HOLDER_SHARE * len(crm)), *JUNK_HOLDERS))
    n_ids = len(junk_phones) + len(JUNK_EMAIL_BOXES)
    if len(pool) < per_id * n_ids:
        raise ValueError("too few CRM persons for the junk identifiers; use more --customers")
    holders = pool[: per_id * n_ids].reshape(n_ids, per_id)
    held = set(people.company[holders.ravel()].tolist())
    free = [c for c in rng.permutation(len(people.companies.domain)).tolist() if c not in held]
    domains = people.companies.domain.take(pa.array(free[: len(JUNK_EMAIL_BOXES)])).to_pylist()
    junk_emails = tuple(f"{box}@{d}" for box, d in zip(JUNK_EMAIL_BOXES, domains, strict=True))

    phone_of = np.full(people.n, -1)
    email_of = np.full(people.n, -1)
    for i in range(len(junk_phones)):
        phone_of[holders[i]] = i
    for j in range(len(junk_emails)):
        email_of[holders[len(junk_phones) + j]] = j
    return Junk(junk_phones, junk_emails, phone_of, email_of)


class AddressBook:
    def __init__(self, people: People, junk: Junk):
        self.n_people = people.n
        self.addresses = pa.concat_arrays([people.email, strings(junk.emails)])
        self.names = people.name

    def junk_code(self, junk_index: np.ndarray) -> np.ndarray:
        return self.n_people + junk_index

    def normalised(self, codes: np.ndarray) -> pa.Array:
        present = codes != NO_EMAIL
        return self.addresses.take(pa.array(np.where(present, codes, 0), mask=~present))

    def rendered(self, codes: np.ndarray, style: np.ndarray, person: np.ndarray) -> pa.Array:
        """Addresses as a human typed them: odd case, stray spaces or `Name <address>`."""
        text = self.normalised(codes)
        join = pc.binary_join_element_wise
        variant = np.where(codes == NO_EMAIL, len(EMAIL_STYLES), style)
        return piecewise(
            variant,
            [
                lambda r: text.take(r),
                lambda r: pc.utf8_title(text.take(r)),
                lambda r: join("  ", pc.utf8_title(text.take(r)), " ", ""),
                lambda r: pc.utf8_upper(text.take(r)),
                lambda r: join(self.names.take(person[r]), " <", text.take(r), ">", ""),
                lambda r: pa.nulls(len(r), STRING),
            ],
        )


def phone_text(
    numbers: np.ndarray, template: np.ndarray, junk_index: np.ndarray, junk: Junk
) -> pa.Array:
    """Phones in the given PHONE_TEMPLATES index; a junk number wins; NO_PHONE is blank."""
    n_templates = len(PHONE_TEMPLATES)
    variant = np.where(
        junk_index >= 0, n_templates, np.where(template == NO_PHONE, n_templates + 1, template)
    )
    builders = [lambda r, t=t: phones(numbers[r], t) for t in PHONE_TEMPLATES]
    builders.append(lambda r: strings(junk.phones).take(junk_index[r]))
    builders.append(lambda r: pa.nulls(len(r), STRING))
    return piecewise(variant, builders)


COUNTRY_PREFIX = "+86"
_ASCII = {0xFF10 + d: str(d) for d in range(10)} | {0xFF0B: "+"}  # full-width digits, plus


def e164(numbers: np.ndarray) -> pa.Array:
    return pc.binary_join_element_wise(COUNTRY_PREFIX, pa.array(numbers).cast(STRING), "")


def written_phone_e164(text: str) -> str:
    """A phone as the generator writes it, in E.164: a mobile in any PHONE_FORMATS rendering
    (+86 or 0086 prefixed, full-width digits), a landline with its trunk 0 (010-88888888) or a
    400 service number. What the warehouse's normalisation must make of it."""
    digits = re.sub(r"[^0-9]", "", text.translate(_ASCII))
    if digits.startswith("0086"):
        digits = digits[4:]
    elif digits.startswith("86") and len(digits) == 13:
        digits = digits[2:]
    return COUNTRY_PREFIX + digits.removeprefix("0")

"""A builder's payout details and tax information: checked whole, saved together, required before a first payout."""

from __future__ import annotations

import re

from sqlalchemy.orm import Session

from agora.accounts.models import User
from agora.audit.chain import record as audit
from agora.db import utcnow
from agora.errors import InvalidInput
from agora.i18n import gettext as _
from agora.payouts.models import PayoutProfile

FIELDS = ("method", "stripe_account", "bank_holder", "bank_iban", "bank_bic", "legal_name", "country", "tax_id")


def iban_valid(iban: str) -> bool:
    """ISO 13616: two letters, two check digits, up to 30 letters and digits, and the whole is 1 modulo 97."""
    if not re.fullmatch(r"[A-Z]{2}\d{2}[A-Z0-9]{11,30}", iban):
        return False
    moved = iban[4:] + iban[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def checked(form: dict[str, str]) -> dict[str, str]:
    """The details as stored, or InvalidInput naming the first wrong field and how to fix it."""
    values = {name: " ".join(str(form.get(name) or "").split()) for name in FIELDS}
    values["bank_iban"] = values["bank_iban"].replace(" ", "").upper()
    values["bank_bic"], values["country"] = values["bank_bic"].upper(), values["country"].upper()
    if values["method"] not in ("stripe", "bank"):
        raise InvalidInput(_("Choose how you are paid: a Stripe account or a bank transfer."), field="method")
    if values["method"] == "stripe" and not re.fullmatch(r"acct_[A-Za-z0-9]{6,34}", values["stripe_account"]):
        raise InvalidInput(_("A Stripe account id starts with acct_, as your Stripe dashboard shows it (e.g. acct_1Nv0FGQ9RKHgCVdK)."),
                           field="stripe_account")
    if values["method"] == "bank":
        _check_bank(values)
    if not 2 <= len(values["legal_name"]) <= 100 or not values["legal_name"].isprintable():
        raise InvalidInput(_("Give your legal name, or your company's, as it appears on tax documents."), field="legal_name")
    if not re.fullmatch(r"[A-Z]{2}", values["country"]):
        raise InvalidInput(_("Give the country you are taxed in as its two-letter code (e.g. FR, US)."), field="country")
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9 .\-/]{3,29}", values["tax_id"]):
        raise InvalidInput(_("Give your tax identification number (4 to 30 letters and digits: a VAT number, an EIN, a SIRET...)."),
                           field="tax_id")
    if values["method"] == "stripe":
        values.update(bank_holder="", bank_iban="", bank_bic="")
    else:
        values["stripe_account"] = ""
    return values


def _check_bank(values: dict[str, str]) -> None:
    if not 2 <= len(values["bank_holder"]) <= 100:
        raise InvalidInput(_("Give the bank account holder's name, as the bank knows it."), field="bank_holder")
    if not iban_valid(values["bank_iban"]):
        raise InvalidInput(_("This IBAN is not valid: check it against your bank statement (two letters, two check digits, then the account)."),
                           field="bank_iban")
    if values["bank_bic"] and not re.fullmatch(r"[A-Z]{6}[A-Z0-9]{2}([A-Z0-9]{3})?", values["bank_bic"]):
        raise InvalidInput(_("A BIC has 8 or 11 letters and digits (e.g. BNPAFRPP), or leave it empty."), field="bank_bic")


def save(session: Session, user: User, form: dict[str, str]) -> PayoutProfile:
    values = checked(form)
    profile = session.get(PayoutProfile, user.id)
    if profile is None:
        profile = PayoutProfile(user_id=user.id, **values, updated_at=utcnow())
        session.add(profile)
    else:
        for name, value in values.items():
            setattr(profile, name, value)
        profile.updated_at = utcnow()
    # The details themselves stay out of the log (they are personal); that they changed, and how the builder is paid, is in it.
    audit(session, "payout.details_changed", actor=user, target_type="user", target_id=user.id, details={"method": values["method"]})
    session.flush()
    return profile

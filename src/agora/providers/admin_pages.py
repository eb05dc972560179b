"""Admin pages for model providers: list, add, edit, disable, delete, test the connection, choose the default."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from agora.errors import AgoraError, Forbidden, InvalidInput
from agora.i18n import gettext as _
from agora.inputs import Id, Text
from agora.providers import catalog, configs, encryption, overview, registry
from agora.providers.models import ProviderConfig
from agora.providers.probe import ProbeResult, probe, probe_installed
from agora.web.deps import CurrentUser, Db
from agora.web.templating import render

router = APIRouter(prefix="/admin/providers")


def _admin_only(user) -> None:
    if not user.is_admin:
        raise Forbidden(_("This page is for administrators."))


def _form(
    name: Annotated[Text, Form()] = "", kind: Annotated[Text, Form()] = "openai", base_url: Annotated[Text, Form()] = "",
    api_key: Annotated[Text, Form()] = "", clear_key: Annotated[Text, Form()] = "", models: Annotated[Text, Form()] = "",
    context_tokens: Annotated[Text, Form()] = "8192", timeout_seconds: Annotated[Text, Form()] = "30", enabled: Annotated[Text, Form()] = "",
) -> configs.ProviderForm:
    return configs.ProviderForm(name=name, kind=kind, base_url=base_url, api_key=api_key, clear_key=bool(clear_key),
                                models=models, context_tokens=context_tokens, timeout_seconds=timeout_seconds, enabled=bool(enabled))


Submitted = Annotated[configs.ProviderForm, Depends(_form)]


def _form_of(row: ProviderConfig) -> configs.ProviderForm:
    return configs.ProviderForm(name=row.name, kind=row.kind, base_url=row.base_url, models=", ".join(row.models),
                                context_tokens=str(row.context_tokens), timeout_seconds=f"{row.timeout_seconds:g}", enabled=row.enabled)


def _list_page(request: Request, db, status: int = 200, **extra) -> Response:
    state = request.app.state
    sources = catalog.of_app(state).sources()
    with db.session() as session:
        rows, chosen = configs.all_rows(session), configs.chosen_default(session)
    view = overview.build(rows, sources, chosen=chosen, settings=state.settings, secret_key=state.secret_key)
    return render(request, "providers/admin.html", status, overview=view, chat_model=state.settings.chat_model, **extra)


def _form_page(request: Request, row: ProviderConfig | None, form: configs.ProviderForm, status: int = 200, **extra) -> Response:
    state, ending = ("none", "") if row is None else overview.key_state(row, request.app.state.secret_key)
    values = {"name": form.name, "base_url": form.base_url, "models": form.models,
              "context_tokens": form.context_tokens, "timeout_seconds": form.timeout_seconds}
    return render(request, "providers/admin_form.html", status, row=row, form=form, values=values, key_state=state,
                  key_ending=ending, kinds=sorted(registry.available()), **extra)


def _changed(request: Request) -> RedirectResponse:
    catalog.of_app(request.app.state).invalidate()  # this worker at once; the others within seconds
    return RedirectResponse("/admin/providers", status_code=303)


@router.get("")
def providers_page(request: Request, db: Db, user: CurrentUser) -> Response:
    _admin_only(user)
    return _list_page(request, db)


@router.get("/new")
def new_provider_page(request: Request, user: CurrentUser) -> Response:
    _admin_only(user)
    return _form_page(request, None, configs.ProviderForm())


@router.post("/default")
def choose_default(request: Request, db: Db, user: CurrentUser, default_model: Annotated[Text, Form()] = "") -> Response:
    _admin_only(user)
    offered = [m for source in catalog.of_app(request.app.state).sources() for m in source.models]
    try:
        with db.session() as session:
            configs.choose_default(session, user, default_model, offered=offered)
    except AgoraError as error:
        return _list_page(request, db, error.status, errors={"default_model": error.message})
    return _changed(request)


@router.post("")
def create_provider(request: Request, db: Db, user: CurrentUser, form: Submitted, action: Annotated[Text, Form()] = "save") -> Response:
    _admin_only(user)
    try:
        if action == "test":
            return _form_page(request, None, form, probe=_test_typed(request, db, form, None))
        with db.session() as session:
            configs.create(session, user, form, secret_key=request.app.state.secret_key)
    except AgoraError as error:
        return _form_page(request, None, form, error.status, errors={error.field or "form": error.message})
    return _changed(request)


@router.get("/{provider_id}")
def edit_provider_page(request: Request, provider_id: Id, db: Db, user: CurrentUser) -> Response:
    _admin_only(user)
    with db.session() as session:
        row = configs.get(session, provider_id)
    return _form_page(request, row, _form_of(row))


@router.post("/{provider_id}")
def change_provider(request: Request, provider_id: Id, db: Db, user: CurrentUser, form: Submitted, action: Annotated[Text, Form()] = "save") -> Response:
    _admin_only(user)
    secret_key = request.app.state.secret_key
    with db.session() as session:
        row = configs.get(session, provider_id)
    if action == "test_saved":  # the list page's button: the configuration as stored
        result = _probe(request, row, _stored_key(row, secret_key))
        return _list_page(request, db, probe=result, probed=row.id)
    try:
        if action == "test":
            return _form_page(request, row, form, probe=_test_typed(request, db, form, row))
        with db.session() as session:
            if action == "save":
                configs.update(session, user, provider_id, form, secret_key=secret_key)
            elif action in ("enable", "disable"):
                configs.set_enabled(session, user, provider_id, enabled=action == "enable")
            elif action == "delete":
                configs.delete(session, user, provider_id)
            else:
                raise InvalidInput(_("Unknown action %(action)s.", action=action), field="form")
    except AgoraError as error:
        return _form_page(request, row, form, error.status, errors={error.field or "form": error.message})
    return _changed(request)


def _stored_key(row: ProviderConfig, secret_key: str) -> str | ProbeResult | None:
    try:
        return configs.api_key(row, secret_key)
    except encryption.KeyUnreadable:
        return ProbeResult(False, _unreadable_message(row.name))


def _unreadable_message(name: str) -> str:
    return _("The API key of %(name)s was encrypted with another secret key (was AGORA_SECRET_KEY changed?). Enter the key again.", name=name)


def _test_typed(request: Request, db, form: configs.ProviderForm, row: ProviderConfig | None) -> ProbeResult:
    """Test what the form holds, before saving it; an empty key field means the stored key."""
    with db.session() as session:  # closed before the call: a slow server must not hold a connection
        fields = configs.validated(session, form, provider_id=row.id if row else None)
    typed = configs.checked_key(form.api_key)
    if typed:
        key: str | ProbeResult | None = typed
    elif row is None or form.clear_key:
        key = None
    else:
        key = _stored_key(row, request.app.state.secret_key)
    return _probe(request, ProviderConfig(**fields), key)


def _probe(request: Request, row: ProviderConfig, key: str | ProbeResult | None) -> ProbeResult:
    if isinstance(key, ProbeResult):
        return key  # the stored key cannot be read: that is the answer
    if row.kind == "openai":
        return probe(base_url=row.base_url, api_key=key, timeout=row.timeout_seconds, models=list(row.models))
    return probe_installed(row.kind, catalog.settings_for(row, request.app.state.settings, key))

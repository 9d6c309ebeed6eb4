"""``acs-identity``: users and tokens from a shell, through the public client.

Commands and options follow ``az communication identity`` where it has the same thing (``user create``,
``user delete``, ``token issue --scope``, ``token revoke``, ``token get-for-teams-user --aad-token
--client --aad-user``, ``--user``). Output is ``label: value`` text, or one JSON object per command with
``--json``. Exit status: 0 done, 1 the service refused or could not be reached, 2 a usage error
(including what the client refuses before sending anything). Errors are one line on stderr, never a
traceback, and never hold the access key or a token; issued tokens go to stdout only.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from datetime import timedelta
from typing import Any, Callable, Dict, List, NoReturn, Optional, Sequence

PROG = "acs-identity"
ENV_VARS = ("COMMUNICATION_CONNECTION_STRING", "AZURE_COMMUNICATION_CONNECTION_STRING")
EXIT_SERVICE_ERROR = 1
EXIT_USAGE = 2
_LIFETIME = re.compile(r"(?:(?P<hours>\d+)h)?(?:(?P<minutes>\d+)m(?:in)?)?", re.IGNORECASE)
_ACCESS_KEY_FIELD = re.compile(r"(accesskey=)[^;\s'\"]*", re.IGNORECASE)
_LABELS = {"user_id": "user", "custom_id": "custom id", "last_token_issued_at": "last token issued at",
           "token": "token", "expires_on": "expires on"}


class UsageError(Exception):
    """A mistake on the command line: exit status 2."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # one line, not argparse's usage block
        raise UsageError(f"{message} (see {self.prog} --help)")


def _lifetime(text: str) -> timedelta:
    """``60m``, ``1h``, ``1h30m`` or a bare number of minutes; the client checks the range."""
    value = text.strip()
    if value.isdigit():
        return timedelta(minutes=int(value))
    match = _LIFETIME.fullmatch(value)
    if not value or match is None:
        raise argparse.ArgumentTypeError(f"{text!r} is not a lifetime such as 60m, 1h or 1h30m")
    return timedelta(hours=int(match["hours"] or 0), minutes=int(match["minutes"] or 0))


def _scopes(values: Optional[List[str]]) -> List[str]:
    """``--scopes chat,voip`` and az's ``--scope chat voip`` alike."""
    return [part.strip() for value in values or () for part in value.split(",") if part.strip()]


# -- commands --------------------------------------------------------------------------------------
def _user(args: argparse.Namespace, *, required: bool = True) -> Optional[str]:
    positional, option = args.user, args.user_option
    if positional and option and positional != option:
        raise UsageError("give the user once: as USER or as --user, not two different ones")
    user = positional or option
    if user is None and required:
        raise UsageError("a user is needed: the raw id, such as 8:acs:..., as USER or --user")
    return user


def _token_document(token: Any, user: Optional[str] = None) -> Dict[str, Any]:
    document = {"user_id": user} if user is not None else {}
    document.update(token=token.token, expires_on=token.expires_on_datetime.isoformat())
    return document


def _user_create(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    options = {"custom_id": args.custom_id} if args.custom_id is not None else {}
    return {"user_id": client.create_user(**options).raw_id}


def _user_get(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    details = client.get_user(_user(args))
    issued = details.last_token_issued_at
    return {"user_id": details.id, "custom_id": details.custom_id,
            "last_token_issued_at": issued.isoformat() if issued is not None else None}


def _user_delete(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    user = _user(args)
    client.delete_user(user)
    return {"user_id": user, "deleted": True}


def _user_and_token_create(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    options: Dict[str, Any] = {}
    if args.expires_in is not None:
        options["token_expires_in"] = args.expires_in
    if getattr(args, "custom_id", None) is not None:
        options["custom_id"] = args.custom_id
    user, token = client.create_user_and_token(_scopes(args.scopes), **options)
    return _token_document(token, user.raw_id)


def _token_issue(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    user = _user(args, required=False)
    if user is None:  # as az communication identity token issue: a new user with its token
        return _user_and_token_create(client, args)
    options = {"token_expires_in": args.expires_in} if args.expires_in is not None else {}
    return _token_document(client.get_token(user, _scopes(args.scopes), **options), user)


def _token_revoke(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    user = _user(args)
    client.revoke_tokens(user)
    return {"user_id": user, "tokens_revoked": True}


def _teams_token_exchange(client: Any, args: argparse.Namespace) -> Dict[str, Any]:
    aad_token = sys.stdin.readline().strip() if args.aad_token == "-" else args.aad_token
    args.secrets.append(aad_token)
    return _token_document(client.get_token_for_teams_user(aad_token, args.client, args.aad_user))


def _text(document: Dict[str, Any]) -> str:
    if document.get("deleted"):
        return f"deleted {document['user_id']}"
    if document.get("tokens_revoked"):
        return f"revoked every token issued to {document['user_id']}"
    shown = [(label, document[name]) for name, label in _LABELS.items() if name in document]
    width = max(len(label) for label, _ in shown)
    return "\n".join(f"{label + ':':<{width + 1}} {'-' if value is None else value}" for label, value in shown)


# -- the parser ------------------------------------------------------------------------------------
def _common(parser: argparse.ArgumentParser, *, top: bool) -> None:
    """The global options, accepted before or after the command (``SUPPRESS``: a leaf that does not
    see one leaves the value parsed before the command alone)."""
    default = None if top else argparse.SUPPRESS
    parser.add_argument("--connection-string", default=default, metavar="CONNECTION_STRING",
                        help=f"endpoint=...;accesskey=... (default: ${ENV_VARS[0]}, then ${ENV_VARS[1]}; "
                             "prefer the variable: a command line is visible to other local users)")
    parser.add_argument("--api-version", default=default, help="Identity API version (default: the client's)")
    parser.add_argument("--json", action="store_true", default=False if top else argparse.SUPPRESS,
                        help="print one JSON object (for scripts and jq)")


def _add_user_argument(parser: argparse.ArgumentParser, help_text: str) -> None:
    parser.add_argument("user", nargs="?", metavar="USER", help=help_text)
    parser.add_argument("--user", dest="user_option", metavar="USER", help="the same, spelt as az does")


def _add_token_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--scopes", "--scope", dest="scopes", action="extend", nargs="+", required=True,
                        metavar="SCOPE", help="chat, voip, chat.join, chat.join.limited, voip.join; comma- or "
                                              "space-separated")
    parser.add_argument("--expires-in", type=_lifetime, metavar="LIFETIME",
                        help="token lifetime, 60m to 24h (e.g. 60m, 1h30m; api-version 2022-10-01+)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog=PROG, description="Create Communication Services users and issue their tokens.")
    _common(parser, top=True)
    groups = parser.add_subparsers(dest="group", metavar="COMMAND", required=True, parser_class=_Parser)

    def leaf(subparsers: Any, name: str, run: Callable[..., Dict[str, Any]], help_text: str) -> argparse.ArgumentParser:
        command = subparsers.add_parser(name, help=help_text, description=help_text)
        _common(command, top=False)
        command.set_defaults(run=run)
        return command

    user = groups.add_parser("user", help="create, read and delete users").add_subparsers(
        dest="command", metavar="ACTION", required=True, parser_class=_Parser)
    create = leaf(user, "create", _user_create, "create a user")
    create.add_argument("--custom-id", help="your own id for the user; the same one gives the same user "
                                            "(api-version 2025-03-02-preview)")
    _add_user_argument(leaf(user, "get", _user_get, "show a user (api-version 2025-03-02-preview)"),
                       "the user's raw id")
    _add_user_argument(leaf(user, "delete", _user_delete, "delete a user, its tokens and its data"),
                       "the user's raw id")

    both = groups.add_parser("user-and-token", help="create a user with a token in one call").add_subparsers(
        dest="command", metavar="ACTION", required=True, parser_class=_Parser)
    create_both = leaf(both, "create", _user_and_token_create, "create a user and issue it a token")
    _add_token_options(create_both)
    create_both.add_argument("--custom-id", help="your own id for the user (api-version 2025-03-02-preview)")

    token = groups.add_parser("token", help="issue and revoke tokens").add_subparsers(
        dest="command", metavar="ACTION", required=True, parser_class=_Parser)
    issue = leaf(token, "issue", _token_issue, "issue a token to a user (without one: to a new user)")
    _add_user_argument(issue, "the user's raw id; omitted, a new user is created (as az does)")
    _add_token_options(issue)
    _add_user_argument(leaf(token, "revoke", _token_revoke, "revoke every token issued to a user so far"),
                       "the user's raw id")
    teams = leaf(token, "get-for-teams-user", _teams_token_exchange,
                 "exchange a Teams user's Azure AD token for a Communication Services token")

    exchange = groups.add_parser("teams-token", help="Teams users' tokens").add_subparsers(
        dest="command", metavar="ACTION", required=True, parser_class=_Parser)
    exchange_command = leaf(exchange, "exchange", _teams_token_exchange,
                            "exchange a Teams user's Azure AD token for a Communication Services token "
                            "(api-version 2022-06-01+)")
    for command in (teams, exchange_command):
        command.add_argument("--aad-token", required=True,
                             help="the Teams user's Azure AD token; - reads it from stdin")
        command.add_argument("--client", "--client-id", dest="client", required=True,
                             help="the Azure AD application's client id (the token's appid)")
        command.add_argument("--aad-user", "--user-object-id", dest="aad_user", required=True,
                             help="the Teams user's object id (the token's oid)")
    return parser


# -- running ---------------------------------------------------------------------------------------
def _connection_string(args: argparse.Namespace) -> str:
    value = args.connection_string
    for name in ENV_VARS:
        value = value or os.environ.get(name, "").strip()
    if not value:
        raise UsageError(f"no connection string: pass --connection-string or set {ENV_VARS[0]}")
    return value


def _service_error(error: Any) -> str:
    """``<status> <code>: <message>`` as the service said it."""
    from azure.core.exceptions import HttpResponseError

    if isinstance(error, HttpResponseError):
        detail = getattr(error, "error", None)
        code = getattr(detail, "code", None) or error.reason or type(error).__name__
        message = getattr(detail, "message", None) or error.message
        status = f"{error.status_code} " if error.status_code else ""
        return f"the service answered {status}{code}: {message}"
    return f"no answer from the service ({type(error).__name__}): {getattr(error, 'message', None) or error}"


def _local_error(error: Any) -> str:
    """``<code>: <message>`` of an error the client raised before sending, in the service's words."""
    detail = getattr(error, "error", None)
    return f"{getattr(detail, 'code', None) or type(error).__name__}: {getattr(detail, 'message', None) or error}"


def _one_line(text: str, secrets: Sequence[str]) -> str:
    """One line without the secrets we know of, nor any ``accesskey=`` (argparse echoes what it did not
    understand, which may be a connection string)."""
    text = str(text)
    for secret in secrets:
        if secret:
            text = text.replace(secret, "<redacted>")
    return " ".join(_ACCESS_KEY_FIELD.sub(r"\1<redacted>", text).split())


def main(argv: Optional[Sequence[str]] = None) -> int:
    secrets: List[str] = []
    try:
        args = build_parser().parse_args(argv)
        args.secrets = secrets
        connection_string = _connection_string(args)
        secrets.append(connection_string)
        # Imported only now: --help and usage errors answer without loading the pipeline.
        from azure.core.exceptions import AzureError

        from ._communication_identity_client import CommunicationIdentityClient
        from ._connection_string import parse_connection_string
        from ._errors import is_local

        secrets.append(parse_connection_string(connection_string).access_key)
        try:
            with CommunicationIdentityClient.from_connection_string(
                    connection_string, api_version=args.api_version) as client:
                document = args.run(client, args)
        except AzureError as error:
            if is_local(error):  # refused by the client's own checks: nothing was sent, the arguments are wrong
                print(f"{PROG}: error: {_one_line(_local_error(error), secrets)}", file=sys.stderr)
                return EXIT_USAGE
            print(f"{PROG}: error: {_one_line(_service_error(error), secrets)}", file=sys.stderr)
            return EXIT_SERVICE_ERROR
    except UsageError as error:
        print(f"{PROG}: error: {_one_line(str(error), secrets)}", file=sys.stderr)
        return EXIT_USAGE
    except (ValueError, TypeError) as error:  # the client refused the arguments before sending anything
        hint = " (here: --api-version VERSION)" if "api_version" in str(error) else ""
        print(f"{PROG}: error: {_one_line(str(error), secrets)}{hint}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        return 130
    print(json.dumps(document) if args.json else _text(document))
    return 0


if __name__ == "__main__":
    sys.exit(main())

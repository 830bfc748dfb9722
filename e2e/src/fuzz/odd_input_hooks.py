"""Odd input that no schema of the document describes, mixed into the generated cases.

Schemathesis draws its cases from the schemas: it sends wrong types and bad values, but never a number the
schema's type forbids in text form (`limit=Infinity`), a body nested thousands deep or past the body limit,
or a Content-Type that is not a well-formed media type. Each case may come out as itself or as one of these
variants of it (hypothesis draws which, so the seed decides), and the usual checks judge the answer: no 5xx,
and a status, content type and body the document allows.
"""

from hypothesis import strategies as st

import schemathesis

NON_FINITE_NUMBERS = ["Infinity", "-Infinity", "1e400", "-1e400", "NaN"]
# Not well-formed media types (a 400), then well-formed ones that are not JSON or not UTF-8 (a 415).
ODD_CONTENT_TYPES = [
    "application/json;;;=;charset",
    "application/json; charset",
    "/",
    "application/json; charset=utf-16",
    "text/xml",
]
DEEP = 5000
BODY_LIMIT = 1024 * 1024
# The original case is drawn this many times as often as each variant: most cases stay what the schemas
# describe, so the odd ones do not crowd out the rest of the run.
ORIGINAL_WEIGHT = 8


@schemathesis.hook
def flatmap_case(context, case):
    variants = [*numeric_query_variants(case), *body_variants(case)]
    if not variants:
        return st.just(case)
    return st.sampled_from([case] * ORIGINAL_WEIGHT + variants)


def numeric_query_variants(case):
    """The case with each number in its query string replaced by one that is not finite."""
    variants = []
    for parameter in case.operation.query:
        schema = parameter.definition.get("schema", {})
        if schema.get("type") not in ("integer", "number"):
            continue
        for value in NON_FINITE_NUMBERS:
            variants.append(case.derive(keep_auth=True, query={**case.query, parameter.name: value}))
    return variants


def body_variants(case):
    """The case with its JSON body nested too deep, past the body limit, or under an odd Content-Type."""
    if case.media_type != "application/json":
        return []
    deep_array = "[" * DEEP + "]" * DEEP
    deep_object = '{"a":' * DEEP + "1" + "}" * DEEP
    huge = '{"a":"' + "x" * BODY_LIMIT + '"}'
    variants = [raw_json(case, text, "application/json") for text in (deep_array, deep_object, huge)]
    variants += [raw_json(case, "{}", content_type) for content_type in ODD_CONTENT_TYPES]
    return variants


def raw_json(case, text, content_type):
    """The case with `text` as its body, sent as it is under `content_type`."""
    variant = case.derive(keep_auth=True)
    # Sent as text/plain, schemathesis puts the text on the wire unchanged (its JSON encoder would recurse
    # through a deep value and fail); the header says what the server is to make of it.
    variant.media_type = "text/plain"
    variant.body = text
    variant.headers["Content-Type"] = content_type
    return variant

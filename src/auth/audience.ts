// The audience check Coder makes of OAuth2 provider-app tokens (RFC 8707;
// coderd/httpmw/apikey.go, validateOAuth2ProviderAppTokenAudience): a token an
// app obtained for one resource server is refused by every other.

/**
 * An audience URI as Coder compares it: scheme and host lower-cased, a host in
 * Unicode as punycode, the default port dropped, dot segments resolved, an
 * empty path as `/` and a trailing slash dropped from a longer one, no
 * fragment. WHATWG URL parsing does all but the last two. A URI that does not
 * parse is compared as it is.
 */
export function normalizedAudience(uri: string): string {
  if (uri === '' || !URL.canParse(uri)) return uri;
  const url = new URL(uri);
  const path = url.pathname.length > 1 && url.pathname.endsWith('/') ? url.pathname.slice(0, -1) : url.pathname;
  return `${url.protocol}//${url.host}${path || '/'}${url.search}`;
}

/**
 * Why an OAuth2 provider-app key may not be used here, if it may not: it has
 * no token row (or the database has no such table, as our own schema does
 * not), or its token is bound to an audience other than `expected`
 * (ACCESS_URL; '' when unset, which no bound token names). A token bound to no
 * audience is accepted, as Coder accepts it.
 */
export function appTokenAudienceProblem(
  token: { audience: string | null } | null,
  expected: () => string,
): string | undefined {
  if (token === null) return 'Token audience validation failed.';
  if (!token.audience) return undefined;
  return normalizedAudience(token.audience) === normalizedAudience(expected())
    ? undefined
    : 'Token audience validation failed.';
}

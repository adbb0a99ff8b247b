/**
 * Signing a demo citizen in outside a browser, as the README's `login` does: the gateway's WeChat
 * OAuth redirect, the development platform's (the sandbox's) consent page answered for `citizen`,
 * then the gateway's callback, which answers the bearer token as JSON when no app redirect is set.
 */

/** The callback's answer without `redirect` (not described by the OpenAPI document). */
export interface Grant {
  access_token: string;
  token_type: string;
  expires_in: number;
  citizen_id: string;
}

function redirectTarget(response: Response, step: string): URL {
  const location = response.headers.get("location");
  if (response.status !== 302 || location === null) {
    throw new Error(`${step}: expected a redirect, got HTTP ${response.status}`);
  }
  return new URL(location, response.url);
}

/** A bearer token for demo citizen `citizen` (e.g. zhangsan) signed in through `account`. */
export async function devSignIn(baseUrl: string, account: string, citizen: string): Promise<Grant> {
  const authorize = new URL("/api/v1/auth/wechat/authorize", baseUrl);
  authorize.searchParams.set("account", account);
  const start = await fetch(authorize, { redirect: "manual" });
  const consentPage = redirectTarget(start, "authorize");
  // The state cookie binds the callback to this "browser".
  const cookie = start.headers
    .getSetCookie()
    .map((header) => header.split(";", 1)[0])
    .join("; ");
  const form = new URLSearchParams(consentPage.search);
  form.set("citizen", citizen);
  const chosen = await fetch(new URL(consentPage.pathname, consentPage), {
    method: "POST",
    body: form,
    redirect: "manual",
  });
  const callback = redirectTarget(chosen, "consent");
  const answer = await fetch(callback, { headers: { cookie }, redirect: "manual" });
  if (answer.status !== 200) {
    throw new Error(`callback: HTTP ${answer.status} ${await answer.text()}`);
  }
  return (await answer.json()) as Grant;
}

// A real OpenID Connect provider on loopback for the single sign-on tests (oidc-provider,
// its development login and consent pages). Configured by one JSON argument:
// {"port", "client_id", "client_secret", "redirect_uris", "accounts": {login: claims}}.
// Prints "ready <issuer>" once it listens.
import Provider from "oidc-provider";

const settings = JSON.parse(process.argv[2]);
const issuer = `http://127.0.0.1:${settings.port}`;
const accounts = settings.accounts;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: settings.client_id,
      client_secret: settings.client_secret,
      redirect_uris: settings.redirect_uris,
      grant_types: ["authorization_code"],
      response_types: ["code"],
      token_endpoint_auth_method: "client_secret_basic",
    },
  ],
  claims: {
    openid: ["sub"],
    email: ["email", "email_verified"],
    profile: ["name"],
  },
  pkce: { required: () => true },
  cookies: { keys: ["cx-maturity-test-provider"] },
  async findAccount(_ctx, id) {
    const claims = accounts[id];
    if (!claims) return undefined;
    return { accountId: id, async claims() { return { sub: id, ...claims }; } };
  },
});
provider.proxy = false;
provider.listen(settings.port, "127.0.0.1", () => {
  console.log(`ready ${issuer}`);
});

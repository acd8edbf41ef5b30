using System.Security.Claims;
using System.Text;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Butterbase.Portal.Tests.Support;

/// <summary>Hand-made JWTs, good and bad, for the authentication tests.</summary>
public static class Tokens
{
    public static string Create(SecurityKey key, string algorithm, string issuer, string audience, string sub = "u_1",
        DateTime? expires = null, DateTime? notBefore = null, bool withExpiry = true)
    {
        var now = DateTime.UtcNow;
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        var descriptor = new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = audience,
            Subject = new ClaimsIdentity([new Claim("sub", sub)]),
            IssuedAt = notBefore ?? now.AddMinutes(-1),
            NotBefore = notBefore ?? now.AddMinutes(-1),
            Expires = withExpiry ? expires ?? now.AddHours(1) : null,
            SigningCredentials = new SigningCredentials(key, algorithm),
        };
        return handler.CreateToken(descriptor);
    }

    /// <summary>An unsigned token (`alg: none`) with the given claims.</summary>
    public static string Unsigned(string issuer, string audience, string sub = "u_1")
    {
        static string B64(string s) => Base64UrlEncoder.Encode(Encoding.UTF8.GetBytes(s));
        var exp = DateTimeOffset.UtcNow.AddHours(1).ToUnixTimeSeconds();
        return B64("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "." +
               B64($"{{\"iss\":\"{issuer}\",\"aud\":\"{audience}\",\"sub\":\"{sub}\",\"exp\":{exp}}}") + ".";
    }
}

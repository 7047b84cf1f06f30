-- sign.lua: X-Baraza-Signature for the wrk scripts, as the gateway checks
-- it (interfaces.md, "Closed by default"): "t=UNIX,sha256=HEX", HEX the
-- HMAC-SHA256 of UNIX .. "." .. body under BENCH_SIGNING_KEY, from
-- OpenSSL's libcrypto through LuaJIT's FFI (wrk runs LuaJIT), so signing
-- costs the benchmark client next to nothing. Load it with dofile; it
-- returns the function sign(body).
local ffi = require("ffi")

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
    const unsigned char *d, size_t n, unsigned char *md,
    unsigned int *md_len);
]]

local ok, crypto = pcall(ffi.load, "crypto")
if not ok then
	crypto = ffi.load("libcrypto.so.3")
end

local key = os.getenv("BENCH_SIGNING_KEY") or "bench-signing-key"
local md = ffi.new("unsigned char[32]")
local mdlen = ffi.new("unsigned int[1]")
local hex = {}

return function(body)
	local t = tostring(os.time())
	local data = t .. "." .. body
	crypto.HMAC(crypto.EVP_sha256(), key, #key, data, #data, md, mdlen)
	for i = 0, 31 do
		hex[i + 1] = string.format("%02x", md[i])
	end
	return "t=" .. t .. ",sha256=" .. table.concat(hex)
end

-- lean-wrk.lua — wrk script for tests/bench/lean-bench.sh: getLead by a
-- different synthetic lead's email on every request (synthetic-<k>@example.com,
-- k in 1..$LEADS), either as a signed SOAP envelope (MODE=soap; USER_ID,
-- SIG, TS: an AuthenticationHeader computed once by the script) or as the
-- REST lead query the shim makes for it (MODE=rest; QUERY with %s for the
-- email, TOKEN; REST_METHOD POST when the shim sends it as POST ?_method=GET
-- with the query as a form body).  Answers that are not a one-lead success are shown on
-- stderr (the first three per thread) and counted by wrk when not HTTP 200.
local mode = os.getenv("MODE") or "soap"
local leads = tonumber(os.getenv("LEADS") or "10000")
local query = os.getenv("QUERY") or ""
local token = os.getenv("TOKEN") or ""
local rest_method = os.getenv("REST_METHOD") or "GET"
local head = '<?xml version="1.0" encoding="UTF-8"?>\n' ..
   '<SOAP-ENV:Envelope xmlns:SOAP-ENV="http://schemas.xmlsoap.org/soap/envelope/" ' ..
   'xmlns:ns1="http://www.marketo.com/mktows/"><SOAP-ENV:Header><ns1:AuthenticationHeader>' ..
   '<mktowsUserId>' .. (os.getenv("USER_ID") or "") .. '</mktowsUserId>' ..
   '<requestSignature>' .. (os.getenv("SIG") or "") .. '</requestSignature>' ..
   '<requestTimestamp>' .. (os.getenv("TS") or "") .. '</requestTimestamp>' ..
   '</ns1:AuthenticationHeader></SOAP-ENV:Header><SOAP-ENV:Body><ns1:paramsGetLead><leadKey>' ..
   '<keyType>EMAIL</keyType><keyValue>'
local tail = '</keyValue></leadKey></ns1:paramsGetLead></SOAP-ENV:Body></SOAP-ENV:Envelope>'
local k = 0
local bad = 0

function init(args)
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
   k = math.random(leads)
end

function request()
   k = k % leads + 1
   if mode == "rest" then
      local q = query:gsub("%%s", "synthetic-" .. k .. "%%40example.com")
      if rest_method == "POST" then
         return wrk.format("POST", "/rest/v1/leads.json?_method=GET",
            { ["Authorization"] = "Bearer " .. token,
              ["Content-Type"] = "application/x-www-form-urlencoded" }, q)
      end
      return wrk.format("GET", "/rest/v1/leads.json?" .. q, { ["Authorization"] = "Bearer " .. token })
   end
   return wrk.format("POST", wrk.path,
      { ["Content-Type"] = "text/xml; charset=UTF-8", ["SOAPAction"] = '""',
        ["Connection"] = "keep-alive" },  -- gSOAP's own server closes without it
      head .. "synthetic-" .. k .. "@example.com" .. tail)
end

function response(status, headers, body)
   local ok = status == 200 and (body:find('"success":true', 1, true) or body:find("<count>1</count>", 1, true))
   if not ok then
      bad = bad + 1
      if bad <= 3 then io.stderr:write("unexpected answer: " .. status .. " " .. body:sub(1, 300) .. "\n") end
   end
end

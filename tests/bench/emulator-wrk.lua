-- emulator-wrk.lua — wrk script for tests/bench/emulator-wrk.sh: Get Leads
-- by Filter Type (email) against marketo-emulator, with the Bearer token
-- from $TOKEN and a different synthetic lead's email on every request
-- (synthetic-<k>@example.com, k in 1..$LEADS), so the email index is
-- exercised rather than one cached answer.
local token = os.getenv("TOKEN") or ""
local leads = tonumber(os.getenv("LEADS") or "10000")
local k = 0

function init(args)
   math.randomseed(os.time() + tonumber(tostring({}):match("0x(%x+)"), 16) % 100000)
   k = math.random(leads)
end

function request()
   k = k % leads + 1
   return wrk.format("GET",
      "/rest/v1/leads.json?filterType=email&filterValues=synthetic-" .. k .. "%40example.com",
      { ["Authorization"] = "Bearer " .. token })
end

-- Any answer that is not a one-lead success counts as an error in the report.
local bad = 0
function response(status, headers, body)
   if status ~= 200 or not body:find('"success":true', 1, true) or not body:find('"id":', 1, true) then
      bad = bad + 1
      if bad <= 3 then io.stderr:write("unexpected answer: " .. status .. " " .. body:sub(1, 200) .. "\n") end
   end
end

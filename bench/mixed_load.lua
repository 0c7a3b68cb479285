-- The mixed load of tests/ops/mixed_load.py for wrk (C, one connection per thread), so that the
-- load client costs the machine next to nothing beside the node it measures. Each thread cycles
-- through search, download, access request, sandbox job and append (an API token created, then
-- revoked); an append counts once, with the revocation's status. The plan comes from the
-- environment (bench/scale_out.py sets it); done() prints one "COUNT kind status n" line per
-- kind and status, and "ERRORS connect read write timeout" for transport errors.

local kinds = { "search", "download", "request", "job", "append" }
local words = { "health", "malaria", "survey", "genomic", "population" }
local threads = {}

function setup(thread)
  thread:set("id", #threads)
  table.insert(threads, thread)
end

function init(args)
  researcher = "Bearer " .. os.getenv("ACCORD_LOAD_RESEARCHER")
  steward = "Bearer " .. os.getenv("ACCORD_LOAD_STEWARD")
  downloads = {}
  for path in string.gmatch(os.getenv("ACCORD_LOAD_DOWNLOADS"), "%S+") do
    table.insert(downloads, path)
  end
  request_body = os.getenv("ACCORD_LOAD_REQUEST_BODY")
  job_body = os.getenv("ACCORD_LOAD_JOB_BODY")
  n = id * 1000000
  k = id % #kinds
  counts = {}
  revoke = nil
  current = nil
end

local json = { ["Content-Type"] = "application/json" }

function request()
  if revoke ~= nil then
    local path = "/api/v1/tokens/" .. revoke .. "/revocation"
    revoke = nil
    current = "revoke"
    return wrk.format("POST", path, { Authorization = steward, ["Content-Length"] = "0" })
  end
  k = k % #kinds + 1
  n = n + 1
  current = kinds[k]
  if current == "search" then
    return wrk.format("GET", "/api/v1/datasets?q=" .. words[n % #words + 1])
  elseif current == "download" then
    return wrk.format("GET", downloads[n % #downloads + 1], { Authorization = researcher })
  elseif current == "request" then
    local body = string.gsub(request_body, "{n}", tostring(n))
    return wrk.format("POST", "/api/v1/requests", with_auth(researcher), body)
  elseif current == "job" then
    return wrk.format("POST", "/api/v1/jobs", with_auth(researcher), job_body)
  end
  return wrk.format("POST", "/api/v1/tokens", with_auth(steward), '{"name": "load ' .. n .. '"}')
end

function with_auth(token)
  return { Authorization = token, ["Content-Type"] = json["Content-Type"] }
end

function response(status, headers, body)
  if current == "append" and status == 201 then
    revoke = string.match(body, '"id"%s*:%s*"([^"]+)"')
    if revoke ~= nil then
      return
    end
  end
  local kind = current == "revoke" and "append" or current
  local key = kind .. " " .. status
  counts[key] = (counts[key] or 0) + 1
end

function done(summary, latency, requests)
  local total = {}
  for _, thread in ipairs(threads) do
    for key, value in pairs(thread:get("counts")) do
      total[key] = (total[key] or 0) + value
    end
  end
  for key, value in pairs(total) do
    io.write(string.format("COUNT %s %d\n", key, value))
  end
  local e = summary.errors
  io.write(string.format("ERRORS %d %d %d %d\n", e.connect, e.read, e.write, e.timeout))
end

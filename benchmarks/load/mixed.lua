-- wrk script: requests drawn at random from urls.txt (tiles across zooms and site-risk queries),
-- gzip accepted like a browser. wrk reports non-2xx/3xx responses and socket errors itself.
local urls = {}

init = function(args)
  for line in io.lines(args[1] or "urls.txt") do
    urls[#urls + 1] = line
  end
  math.randomseed(os.time() + (tonumber(tostring({}):sub(8)) or 0))
end

request = function()
  return wrk.format("GET", urls[math.random(#urls)], { ["Accept-Encoding"] = "gzip" })
end

done = function(summary, latency, requests)
  io.write(string.format("requests %d, errors connect %d read %d write %d status %d timeout %d\n",
    summary.requests, summary.errors.connect, summary.errors.read, summary.errors.write, summary.errors.status, summary.errors.timeout))
  io.write(string.format("throughput %.1f req/s\n", summary.requests / (summary.duration / 1e6)))
  for _, p in ipairs({ 50, 90, 99, 99.9 }) do
    io.write(string.format("p%s %.2f ms\n", p, latency:percentile(p) / 1000))
  end
end

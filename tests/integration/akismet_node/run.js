// Drives the npm akismet-api client against a local modq for the test suite.
// argv[2]: JSON {"port", "key", "steps": [{"op", "comment"?}]}; prints one JSON line:
// {"results": [{"ok": value} | {"error": message}]}, one per step, in order.
'use strict'
const dns = require('dns')

// The client sends every call but verify-key to KEY.<host>; *.localhost does not
// resolve on every machine, so answer 127.0.0.1 for localhost and its subdomains.
const lookup = dns.lookup
dns.lookup = function (hostname, options, callback) {
  if (hostname === 'localhost' || hostname.endsWith('.localhost')) {
    if (typeof options === 'function') callback = options
    const all = typeof options === 'object' && options !== null && options.all
    if (all) return process.nextTick(callback, null, [{ address: '127.0.0.1', family: 4 }])
    return process.nextTick(callback, null, '127.0.0.1', 4)
  }
  return lookup.apply(this, arguments)
}

const { AkismetClient } = require('akismet-api')

async function main () {
  const plan = JSON.parse(process.argv[2])
  const client = new AkismetClient({
    key: plan.key,
    blog: plan.blog || 'https://blog.example',
    host: `localhost:${plan.port}`,
    protocol: 'http'
  })
  const results = []
  for (const step of plan.steps) {
    try {
      let value
      if (step.op === 'verifyKey') value = await client.verifyKey()
      else if (step.op === 'checkSpam') value = await client.checkSpam(step.comment)
      else if (step.op === 'submitSpam') value = (await client.submitSpam(step.comment)).text
      else if (step.op === 'submitHam') value = (await client.submitHam(step.comment)).text
      else throw new Error(`unknown step ${step.op}`)
      results.push({ ok: value })
    } catch (error) {
      results.push({ error: String(error && error.message ? error.message : error) })
    }
  }
  process.stdout.write(JSON.stringify({ results }) + '\n')
}

main().catch(error => {
  process.stderr.write(String(error && error.stack ? error.stack : error) + '\n')
  process.exit(1)
})

# frozen_string_literal: true

# The conformance suite's client under test for the authorization scenarios, built on the
# mcpstream gem: the Ruby twin of client.py's `authorized`. The suite runs
# `ruby client.rb <server-url>` with MCP_CONFORMANCE_SCENARIO set and MCP_CONFORMANCE_CONTEXT
# (JSON) holding what a scenario hands the client (pre-registered credentials, a signing key),
# and judges what its servers saw. run-ruby-auth.sh runs it.
#
# An agent using a server that needs OAuth: it lists the tools and calls one. Nothing here
# works around the suite; the settings are what a real app would configure.

require "json"
require "net/http"
require "mcpstream"

CLIENT_INFO = { name: "mcpstream-conformance", version: MCPStream::VERSION }.freeze

# A Client ID Metadata Document the app hosts (used where the authorization server supports
# those, with dynamic registration as the fallback) and a loopback redirect URI.
CLIENT_METADATA_URL = "https://conformance-test.local/client-metadata.json"
REDIRECT_URI = "http://localhost:3000/callback"

def context
  text = ENV.fetch("MCP_CONFORMANCE_CONTEXT", "")
  text.empty? ? {} : JSON.parse(text)
end

# The browser's part: the suite's authorization server redirects at once, with no login page,
# so "the user" opens the authorization URL and hands back where it sends them, unfollowed.
def headless_authorize(url)
  uri = URI(url)
  answer = Net::HTTP.start(uri.host, uri.port, use_ssl: uri.scheme == "https", open_timeout: 10, read_timeout: 10) do |http|
    http.request(Net::HTTP::Get.new(uri))
  end
  return answer["location"] if answer.is_a?(Net::HTTPRedirection) && answer["location"]

  raise "the authorization endpoint answered #{answer.code} and did not redirect back"
end

def auth_for(scenario, given)
  if scenario.start_with?("auth/client-credentials")
    MCPStream::ClientCredentials.new(client_id: given.fetch("client_id"), client_secret: given["client_secret"],
                                     private_key_pem: given["private_key_pem"],
                                     algorithm: given.fetch("signing_algorithm", "ES256"))
  else
    # The 2025-03-26 scenarios are servers without resource metadata, which the client reaches
    # only when told to accept that older discovery (off by default).
    MCPStream::OAuth.new(client_name: "mcpstream-conformance", redirect_uri: REDIRECT_URI,
                         on_authorize: method(:headless_authorize), client_id: given["client_id"],
                         client_secret: given["client_secret"], client_metadata_url: CLIENT_METADATA_URL,
                         legacy_discovery: scenario.start_with?("auth/2025-03-26-"))
  end
end

def main
  scenario = ENV.fetch("MCP_CONFORMANCE_SCENARIO", "")
  url = ARGV.last or abort "usage: client.rb SERVER_URL (with MCP_CONFORMANCE_SCENARIO set)"
  # Anything but auth/*: plain use of the server, so the suite reports what is missing.
  auth = scenario.start_with?("auth/") ? auth_for(scenario, context) : nil
  MCPStream::Client.open(url, client_info: CLIENT_INFO, auth: auth) do |client|
    client.list_tools
    client.call_tool("test-tool", {}) if auth
  end
end

main

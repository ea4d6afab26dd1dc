#!/usr/bin/env ruby
# frozen_string_literal: true

# A browser for tests, as BROWSER for examples/oauth.rb: `fake_browser.rb URL` opens the
# authorization URL the way a user who approves at once would. The authorization server
# redirects back; this follows that one redirect (to the client's loopback listener) and exits
# 0 once the listener has answered.
require "net/http"

def get(url)
  uri = URI(url)
  Net::HTTP.start(uri.host, uri.port, open_timeout: 5, read_timeout: 10) do |http|
    http.request(Net::HTTP::Get.new(uri))
  end
end

authorization = get(ARGV.fetch(0) { abort "usage: fake_browser.rb AUTHORIZATION_URL" })
location = authorization["location"]
abort "fake browser: the authorization server answered #{authorization.code}, no redirect" unless location

back = get(location)
abort "fake browser: the redirect to #{location} answered #{back.code}" unless back.is_a?(Net::HTTPSuccess)

# frozen_string_literal: true

require "json"
require "rbconfig"
# The platform gem carries the extension prebuilt for each Ruby minor version it supports, in
# mcpstream/<3.1>/; the source gem builds one for the Ruby installing it, found on the load path.
prebuilt = File.join(__dir__, "mcpstream", RUBY_VERSION[/\A\d+\.\d+/], "mcpstream_native")
if File.exist?("#{prebuilt}.#{RbConfig::CONFIG["DLEXT"]}")
  require prebuilt
else
  require "mcpstream_native"
end
require_relative "mcpstream/version"
require_relative "mcpstream/errors"
require_relative "mcpstream/logging"
require_relative "mcpstream/auth"
require_relative "mcpstream/subscription"
require_relative "mcpstream/client"

module MCPStream
  # Forgets the era this process remembered for the server at url: its next client probes
  # again (after the server was upgraded, say).
  def self.forget_verdict(url) = NativeClient.forget_verdict(url.to_s)
end

# frozen_string_literal: true

module MCPStream
  VERSION = "0.1.0"
end

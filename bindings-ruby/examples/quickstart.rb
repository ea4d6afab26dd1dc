require "mcpstream"

# Written for the reference server (`make demo` starts it): another server may lack "add".
url = ENV.fetch("MCP_URL", "http://127.0.0.1:8000/mcp")

MCPStream::Client.open(url) do |client| # connects, and closes the session when the block ends
  puts "protocol #{client.protocol_version}"
  names = client.list_tools["tools"].map { |tool| tool["name"] }
  puts "tools: #{names.join(", ")}"
  abort "#{url} has no tool \"add\": this example needs the reference server (`make demo` starts it)" unless names.include?("add")
  result = client.call_tool("add", { "a" => 2, "b" => 40 }, raise_on_error: true) # a failing tool raises ToolError
  puts "add -> #{result["content"][0]["text"]}"
end

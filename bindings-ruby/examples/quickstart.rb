require "mcpstream"

url = ENV.fetch("MCP_URL", "http://127.0.0.1:8000/mcp")

MCPStream::Client.open(url) do |client| # connects, and always closes the session
  puts "protocol #{client.protocol_version}"
  tools = client.list_tools["tools"]
  puts "tools: #{tools.map { |tool| tool["name"] }.join(", ")}"
  result = client.call_tool("add", { "a" => 2, "b" => 40 })
  puts "add -> #{result["content"][0]["text"]}"
rescue MCPStream::SessionExpiredError
  client.connect # the server forgot the session (e.g. it restarted)
end

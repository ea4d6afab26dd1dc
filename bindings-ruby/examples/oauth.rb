require "mcpstream"

# The first run sends the user to the browser to approve; later runs reuse the token kept in
# the token file, refreshing it when it expires, and ask again only when that no longer works.
auth = MCPStream::OAuth.new(
  client_name: "My Agent",
  redirect_uri: "http://127.0.0.1:0/callback", # 0: any free port
  on_authorize: lambda do |url|
    system(ENV.fetch("BROWSER", "xdg-open"), url) || warn("Open this page to authorize My Agent: #{url}")
    nil # the client catches the browser coming back to redirect_uri itself
  end,
  token_store: MCPStream::FileTokenStore.new(
    ENV.fetch("MCP_TOKEN_FILE", File.expand_path("~/.config/my-agent/mcp-tokens.json"))
  )
)

url = ENV.fetch("MCP_URL", "http://127.0.0.1:8000/mcp")

begin
  MCPStream::Client.open(url, auth: auth) do |client| # connects, and always closes the session
    names = client.list_tools["tools"].map { |tool| tool["name"] }
    puts "tools: #{names.join(", ")}"
  end
rescue MCPStream::AuthorizationError => e # refused, timed out, or the server's OAuth failed
  abort "my-agent: not authorized for #{url}: #{e.message}"
end

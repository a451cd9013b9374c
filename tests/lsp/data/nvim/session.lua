-- A headless Neovim session for tests/lsp/test_neovim.py: open a Dockerfile, attach the dlint
-- language server with Neovim's built-in client, record the diagnostics Neovim holds, apply one
-- quick fix through Neovim, and record the buffer and the diagnostics again. The result is
-- written as JSON to $DLINT_NVIM_OUT. Works with Neovim 0.7 (start_client + buf_attach_client)
-- and 0.8+ (vim.lsp.start). Everything comes in DLINT_NVIM_* environment variables.

local uv = vim.loop
local env = vim.env
local report = { errors = {} }

local function finish()
  local out = assert(io.open(env.DLINT_NVIM_OUT, 'w'))
  out:write(vim.json.encode(report))
  out:close()
  local clients = vim.lsp.get_clients or vim.lsp.get_active_clients
  for _, client in pairs(clients()) do
    vim.lsp.stop_client(client.id)
  end
  vim.wait(3000, function() return #clients() == 0 end, 20)
  vim.cmd('qall!')
end

local function snapshot(bufnr)
  local severities = { 'error', 'warning', 'information', 'hint' }
  local list = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    list[#list + 1] = {
      line = d.lnum + 1, col = d.col + 1, end_line = d.end_lnum + 1, end_col = d.end_col + 1,
      severity = severities[d.severity], code = d.code or (d.user_data and d.user_data.lsp.code),
      source = d.source, message = d.message,
    }
  end
  table.sort(list, function(a, b)
    if a.line ~= b.line then return a.line < b.line end
    return a.col < b.col
  end)
  return list
end

-- Diagnostics settle when they stop changing for `quiet` ms (push, then maybe pull).
local function settled(bufnr, timeout, quiet, differs_from)
  local last = vim.json.encode(snapshot(bufnr))
  local changed = uv.now()
  local ok = vim.wait(timeout, function()
    local now = vim.json.encode(snapshot(bufnr))
    if now ~= last then
      last, changed = now, uv.now()
    end
    local fresh = differs_from == nil or now ~= differs_from
    return #snapshot(bufnr) > 0 and fresh and uv.now() - changed >= quiet
  end, 20)
  return ok, snapshot(bufnr)
end

local ok, err = pcall(function()
  local timeout = tonumber(env.DLINT_NVIM_TIMEOUT or '20') * 1000
  local v = vim.version()
  report.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  vim.cmd('edit ' .. vim.fn.fnameescape(env.DLINT_NVIM_FILE))
  local bufnr = vim.api.nvim_get_current_buf()
  vim.bo[bufnr].filetype = 'dockerfile'
  local root = vim.fn.fnamemodify(env.DLINT_NVIM_FILE, ':p:h')
  local config = {
    name = 'dlint',
    cmd = vim.json.decode(env.DLINT_NVIM_CMD),
    root_dir = root,
    init_options = vim.json.decode(env.DLINT_NVIM_OPTIONS),
    flags = { debounce_text_changes = 0 },
  }
  local client_id
  if vim.lsp.start then
    client_id = vim.lsp.start(config, { bufnr = bufnr })
  else
    client_id = vim.lsp.start_client(config)
    vim.lsp.buf_attach_client(bufnr, client_id)
  end
  local good, before = settled(bufnr, timeout, 400)
  report.diagnostics = before
  if not good then
    table.insert(report.errors, 'no diagnostics in time')
    return
  end
  local client = vim.lsp.get_client_by_id(client_id)
  report.encoding = client.offset_encoding

  -- Ask for code actions on the diagnostic with the wanted code, as `vim.lsp.buf.code_action` does.
  local wanted = env.DLINT_NVIM_FIX_CODE
  local target
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    if (d.code or d.user_data.lsp.code) == wanted then target = d end
  end
  local lsp_diagnostics
  if vim.lsp.diagnostic.from then
    lsp_diagnostics = vim.lsp.diagnostic.from({ target })
  else
    lsp_diagnostics = vim.lsp.diagnostic.get_line_diagnostics(bufnr, target.lnum)
  end
  local params = {
    textDocument = { uri = vim.uri_from_bufnr(bufnr) },
    range = lsp_diagnostics[1].range,
    context = { diagnostics = lsp_diagnostics },
  }
  local answers = vim.lsp.buf_request_sync(bufnr, 'textDocument/codeAction', params, timeout)
  local actions = (answers and answers[client_id] and answers[client_id].result) or {}
  report.actions = {}
  local chosen
  for _, action in ipairs(actions) do
    report.actions[#report.actions + 1] = { title = action.title, kind = action.kind, preferred = action.isPreferred or false }
    if action.isPreferred and chosen == nil then chosen = action end
  end
  if not chosen then
    table.insert(report.errors, 'no preferred quick fix')
    return
  end
  local previous = vim.json.encode(snapshot(bufnr))
  vim.lsp.util.apply_workspace_edit(chosen.edit, client.offset_encoding)
  report.buffer = vim.api.nvim_buf_get_lines(bufnr, 0, -1, false)
  local _, after = settled(bufnr, timeout, 400, previous)
  report.diagnostics_after = after
end)

if not ok then table.insert(report.errors, tostring(err)) end
finish()

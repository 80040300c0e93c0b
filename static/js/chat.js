// The public web chat (templates/chat/page.html) over /ws/chat/ (chat/consumers.py).
// Nothing is kept in the browser: no cookie, no storage, no address change. The secret that lets
// a dropped connection rejoin the same chat lives in this module's memory only, so a reload or
// leaving the page ends the chat (the page says "chat.leave" as it goes, quick exit included).
// Messages are put on the page as text (textContent), never as HTML.

const root = document.getElementById('chat');
const log = document.getElementById('chat-log');
const form = document.getElementById('chat-form');
const text = document.getElementById('chat-text');
const status = document.getElementById('chat-status');
const error = document.getElementById('chat-error');
const leave = document.getElementById('chat-leave');

const WHO = { visitor: 'You', operator: 'Helpline', system: 'Chat' };
let socket = null;
let secret = null; // made here, sent with the first message; only its hash is stored
let started = false;
let closed = false;
let retryDelay = 1000;
const pending = new Map(); // client id -> words not yet acknowledged, resent after a reconnect
const shown = new Set(); // message ids already on the page

function randomId(bytes) {
  const values = crypto.getRandomValues(new Uint8Array(bytes));
  return Array.from(values, (b) => b.toString(16).padStart(2, '0')).join('');
}

function say(words) {
  status.textContent = words;
}

function showError(words) {
  error.textContent = words;
  error.hidden = !words;
}

function addMessage(message) {
  if (message.id && shown.has(message.id)) {
    return;
  }
  if (message.client_id) {
    const draft = log.querySelector(`[data-client-id="${CSS.escape(message.client_id)}"]`);
    if (draft) {
      draft.remove();
    }
  }
  if (message.id) {
    shown.add(message.id);
  }
  const item = document.createElement('div');
  item.className = `chat-message chat-message--${message.sender}`;
  if (!message.id) {
    item.classList.add('chat-message--pending');
    item.dataset.clientId = message.client_id;
  }
  const who = document.createElement('span');
  who.className = 'chat-message__who';
  who.textContent = WHO[message.sender] || 'Chat';
  const body = document.createElement('p');
  body.className = 'chat-message__text';
  body.textContent = message.text;
  item.append(who, body);
  log.append(item);
  log.scrollTop = log.scrollHeight;
}

function send(frame) {
  if (socket && socket.readyState === WebSocket.OPEN) {
    socket.send(JSON.stringify(frame));
    return true;
  }
  return false;
}

function end(words) {
  closed = true;
  say(words);
  text.disabled = true;
  document.getElementById('chat-send').disabled = true;
  leave.hidden = true;
  secret = null;
  pending.clear();
  if (socket) {
    socket.close();
  }
}

function onFrame(frame) {
  switch (frame.type) {
    case 'chat.started':
      started = true;
      leave.hidden = false;
      pending.delete(frame.message.client_id);
      addMessage(frame.message);
      say('Your message was sent. Please wait: someone from the helpline will join you here.');
      break;
    case 'chat.resumed':
      frame.messages.forEach(addMessage);
      pending.forEach((words, clientId) => send({ type: 'chat.send', text: words, client_id: clientId }));
      say(frame.status === 'active' ? 'Connected again.' : 'Connected again. Please wait for someone to join.');
      break;
    case 'chat.sent':
      pending.delete(frame.message.client_id);
      addMessage(frame.message);
      break;
    case 'chat.message':
      addMessage(frame.message);
      break;
    case 'chat.joined':
      say('Someone from the helpline joined the chat.');
      break;
    case 'chat.closed':
      end(frame.by === 'visitor' ? 'You left the chat.' : 'The chat has ended.');
      break;
    case 'chat.error':
      if (frame.client_id) {
        pending.delete(frame.client_id);
        const draft = log.querySelector(`[data-client-id="${CSS.escape(frame.client_id)}"]`);
        if (draft) {
          text.value = draft.querySelector('.chat-message__text').textContent;
          draft.remove();
        }
      }
      showError(frame.message);
      break;
    default:
      break;
  }
}

function connect() {
  const scheme = window.location.protocol === 'https:' ? 'wss' : 'ws';
  socket = new WebSocket(`${scheme}://${window.location.host}${root.dataset.socket}`);
  socket.addEventListener('open', () => {
    retryDelay = 1000;
    if (started && secret) {
      send({ type: 'chat.resume', secret });
    } else if (secret && pending.size) {
      // the first message went, its answer did not: the same secret finds the same chat
      const [clientId, words] = pending.entries().next().value;
      send({ type: 'chat.start', secret, text: words, client_id: clientId });
    }
  });
  socket.addEventListener('message', (event) => {
    try {
      onFrame(JSON.parse(event.data));
    } catch (problem) {
      console.warn(problem);
    }
  });
  socket.addEventListener('close', (event) => {
    if (closed) {
      return;
    }
    if (event.code === 4403) {
      end('This chat cannot be reopened. Reload the page to start a new one.');
      return;
    }
    say('Connection lost. Trying again…');
    setTimeout(connect, retryDelay);
    retryDelay = Math.min(retryDelay * 2, 15000);
  });
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  if (closed) {
    return;
  }
  const words = text.value.trim();
  showError('');
  if (!words) {
    showError('Write a message first.');
    text.focus();
    return;
  }
  const clientId = randomId(16);
  pending.set(clientId, words);
  addMessage({ sender: 'visitor', text: words, client_id: clientId });
  text.value = '';
  if (!started) {
    secret = secret || randomId(32);
    send({ type: 'chat.start', secret, text: words, client_id: clientId });
  } else {
    send({ type: 'chat.send', text: words, client_id: clientId });
  }
  text.focus();
});

text.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && (event.ctrlKey || event.metaKey)) {
    event.preventDefault();
    form.requestSubmit();
  }
});

leave.addEventListener('click', () => {
  if (!send({ type: 'chat.leave' })) {
    end('You left the chat.');
  }
});

// Leaving the page in any way (the Leave this site button, Shift three times, closing the tab,
// reloading) ends the chat: the secret goes with the page, so nobody could come back to it.
window.addEventListener('pagehide', () => {
  if (started && !closed) {
    send({ type: 'chat.leave' });
  }
});

root.hidden = false;
connect();

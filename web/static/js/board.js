// board.js: drag and drop on the opportunity board (销售机会看板), a
// progressive enhancement. Every card the user may move also carries a
// small form that does the same without JavaScript.
//
// Each column's list becomes a SortableJS list of one shared group; only
// cards marked data-movable are draggable. Dropping a card into another
// column POSTs stage=<column> to /opportunities/{id}/stage (same-origin
// fetch: the browser sends Sec-Fetch-Site, which passes the CSRF check;
// HX-Request asks for a bare 204). On success the board is fetched again
// (HX-Request: the board fragment alone) so that counts and sums are
// current; on a refusal (403, 404, 409, …) the card goes back where it was
// and the server's message is shown.
(function () {
  'use strict';

  var BOARD = 'opportunity-board';

  function message(board, text) {
    var box = board.querySelector('[data-board-message]');
    if (box) {
      box.textContent = text || '';
    }
  }

  // putBack returns a dropped card to its place in the column it came from.
  function putBack(evt) {
    var from = evt.from;
    var ref = from.children[evt.oldIndex] || null;
    from.insertBefore(evt.item, ref);
  }

  function refresh(board) {
    var url = board.getAttribute('data-refresh');
    return fetch(url, {
      credentials: 'same-origin',
      headers: { 'HX-Request': 'true' }
    }).then(function (res) {
      if (!res.ok) {
        throw new Error('refresh ' + res.status);
      }
      return res.text();
    }).then(function (html) {
      var tpl = document.createElement('template');
      tpl.innerHTML = html.trim();
      var fresh = tpl.content.getElementById(BOARD);
      if (fresh) {
        board.replaceWith(fresh);
        init(fresh);
      }
    });
  }

  function moved(board, evt) {
    if (evt.from === evt.to) {
      return;
    }
    var card = evt.item;
    var stage = evt.to.getAttribute('data-stage');
    var failed = board.getAttribute('data-error');
    var body = new URLSearchParams();
    body.set('stage', stage);
    message(board, '');
    fetch('/opportunities/' + encodeURIComponent(card.getAttribute('data-id')) + '/stage', {
      method: 'POST',
      credentials: 'same-origin',
      headers: { 'HX-Request': 'true', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: body.toString()
    }).then(function (res) {
      if (res.ok) {
        return refresh(board).catch(function () {
          window.location.reload();
        });
      }
      putBack(evt);
      return res.text().then(function (text) {
        message(board, (text || '').trim() || failed);
      });
    }).catch(function () {
      putBack(evt);
      message(board, failed);
    });
  }

  function init(board) {
    if (!board || typeof window.Sortable === 'undefined') {
      return;
    }
    var lists = board.querySelectorAll('[data-board-column]');
    Array.prototype.forEach.call(lists, function (list) {
      window.Sortable.create(list, {
        group: 'opportunities',
        sort: false,
        draggable: '[data-movable]',
        filter: 'a, select, button, input, label',
        preventOnFilter: false,
        animation: 150,
        ghostClass: 'board-card-ghost',
        onEnd: function (evt) {
          moved(board, evt);
        }
      });
    });
    board.classList.add('board-live');
  }

  function start() {
    init(document.getElementById(BOARD));
  }

  if (document.readyState === 'loading') {
    document.addEventListener('DOMContentLoaded', start);
  } else {
    start();
  }
})();

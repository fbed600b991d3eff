/**
 * The report's one script, inlined and allowed by its hash in the CSP. Plain
 * ES2020, no framework. It only reads the page and the JSON data block and
 * writes with textContent / classList / attributes it names itself: no
 * innerHTML, no URL, no eval. Without it the page still shows every diagram
 * and every flow row (e-mail viewers that strip scripts, print).
 *
 * Data block `#nl-data` (zlib + base64, see page.ts): { files: [name],
 * ev: [[file, line, text, note]], flows: [[explanation, [ev], pairing]],
 * findings: [[flow]] } (indices). When it is decoded, <html> gets class
 * `nl-ready` (tests wait for it).
 */
export const CLIENT_JS = `(function(){"use strict";
var d=null;
var ready=(function(){var b=atob(document.getElementById("nl-data").textContent.trim()),u=new Uint8Array(b.length);
  for(var i=0;i<b.length;i++)u[i]=b.charCodeAt(i);
  return new Response(new Blob([u]).stream().pipeThrough(new DecompressionStream("deflate"))).text().then(function(t){d=JSON.parse(t);return d;});})();
var tbody=document.querySelector("table.flows tbody");
var rows=Array.prototype.slice.call(tbody.querySelectorAll("tr.flow"));
var PAGE=200,page=0,only=null,onlyLabel="";
var details=new Map();
var status=document.getElementById("nl-status"),prev=document.getElementById("nl-prev"),next=document.getElementById("nl-next");
var clear=document.getElementById("nl-clear"),q=document.getElementById("nl-q");
var selects=Array.prototype.slice.call(document.querySelectorAll("select[data-filter]"));
function idx(tr){return +tr.id.slice(1);}
function el(tag,cls,text){var e=document.createElement(tag);if(cls)e.className=cls;if(text!=null)e.textContent=text;return e;}
function detailRow(tr){
  var i=idx(tr),f=d.flows[i],td=el("td");td.colSpan=tr.cells.length;
  td.appendChild(el("p",null,f[0]));
  if(f[2])td.appendChild(el("p","mute","docker-proxy pairing: "+f[2]));
  var evs=f[1];
  if(!evs.length)td.appendChild(el("p","mute","no evidence lines"));
  for(var k=0;k<evs.length;k++){var e=d.ev[evs[k]],p=el("div","ev");
    p.appendChild(el("span","src",d.files[e[0]]+":"+e[1]+": "));p.appendChild(el("span",null,e[2]==null?"":e[2]));
    if(e[3])p.appendChild(el("span","note","  ("+e[3]+")"));td.appendChild(p);}
  var r=el("tr","detail");r.id="nl-detail-"+i;r.appendChild(td);return r;}
function toggle(tr,open){
  var b=tr.querySelector("button.x"),r=details.get(tr);
  if(open===undefined)open=!r;
  if(open&&!r){if(!d){ready.then(function(){toggle(tr,true);});return;}r=detailRow(tr);details.set(tr,r);tr.after(r);}
  else if(!open&&r){r.remove();details.delete(tr);}
  b.setAttribute("aria-expanded",open?"true":"false");b.textContent=open?"\\u25BE":"\\u25B8";}
tbody.addEventListener("click",function(ev){var b=ev.target.closest("button.x");if(b)toggle(b.closest("tr"));});
function matches(tr){
  if(only&&!only.has(idx(tr)))return false;
  for(var k=0;k<selects.length;k++){var s=selects[k];if(s.value!==""&&tr.getAttribute(s.getAttribute("data-filter"))!==s.value)return false;}
  var t=q.value.trim().toLowerCase();
  if(t&&tr.textContent.toLowerCase().indexOf(t)<0)return false;
  return true;}
function apply(){
  var shown=rows.filter(matches),pages=Math.max(1,Math.ceil(shown.length/PAGE));
  if(page>=pages)page=pages-1;
  var from=page*PAGE,to=Math.min(shown.length,from+PAGE),set=new Set(shown);
  for(var k=0;k<rows.length;k++){var tr=rows[k],m=set.has(tr);
    tr.classList.toggle("f-hidden",!m);var r=details.get(tr);if(r)r.classList.toggle("f-hidden",!m);}
  for(k=0;k<shown.length;k++){var pg=k<from||k>=to;shown[k].classList.toggle("pg-hidden",pg);var r2=details.get(shown[k]);if(r2)r2.classList.toggle("pg-hidden",pg);}
  status.textContent=(shown.length?"flows "+(from+1)+"\\u2013"+to+" of "+shown.length:"no flow")+" matching"+(shown.length===rows.length?"":" ("+rows.length+" in all)")+(only?"; "+onlyLabel:"");
  prev.disabled=page===0;next.disabled=page>=pages-1;clear.hidden=!only;}
selects.forEach(function(s){s.addEventListener("change",function(){page=0;apply();});});
q.addEventListener("input",function(){page=0;apply();});
prev.addEventListener("click",function(){page--;apply();});
next.addEventListener("click",function(){page++;apply();});
clear.addEventListener("click",function(){only=null;apply();});
document.querySelectorAll("a[data-finding]").forEach(function(a){a.addEventListener("click",function(ev){
  ev.preventDefault();ready.then(function(){var n=+a.getAttribute("data-finding");only=new Set(d.findings[n]);onlyLabel="the flows of finding "+(n+1);
  selects.forEach(function(s){s.value="";});q.value="";page=0;apply();
  document.getElementById("flows").scrollIntoView();});});});
var ths=Array.prototype.slice.call(document.querySelectorAll("table.flows th[data-col]"));
ths.forEach(function(th){var b=th.querySelector("button");b.addEventListener("click",function(){
  var col=+th.getAttribute("data-col"),dir=th.getAttribute("aria-sort")==="ascending"?-1:1;
  ths.forEach(function(o){o.removeAttribute("aria-sort");});th.setAttribute("aria-sort",dir>0?"ascending":"descending");
  var key=function(tr){var c=tr.cells[col];return c.getAttribute("data-s")||c.textContent;};
  rows.sort(function(a,b){return dir*key(a).localeCompare(key(b),undefined,{numeric:true})||idx(a)-idx(b);});
  var frag=document.createDocumentFragment();rows.forEach(function(tr){frag.appendChild(tr);var r=details.get(tr);if(r)frag.appendChild(r);});
  tbody.appendChild(frag);page=0;apply();});});
function openHash(){var m=/^#f(\\d+)$/.exec(location.hash);if(!m)return;var tr=document.getElementById("f"+m[1]);if(!tr)return;
  only=null;selects.forEach(function(s){s.value="";});q.value="";var idx=rows.filter(matches).indexOf(tr);page=Math.floor(idx/PAGE);apply();toggle(tr,true);tr.scrollIntoView();}
window.addEventListener("hashchange",openHash);
window.addEventListener("beforeprint",function(){rows.forEach(function(tr){if(!tr.classList.contains("f-hidden"))toggle(tr,true);});});
rows.forEach(function(tr,k){var b=el("button","x","\u25B8");b.type="button";b.setAttribute("aria-expanded","false");
  b.setAttribute("aria-label","explanation and evidence of flow "+(idx(tr)+1));tr.cells[0].appendChild(b);});
apply();openHash();
ready.then(function(){document.documentElement.classList.add("nl-ready");},function(e){status.textContent="could not read the report's data: "+e;});
})();`;
